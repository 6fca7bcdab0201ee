public import ConvoBridgeCore
import Foundation
public import HTTPTypes
public import Hummingbird
import NIOCore

extension Response {
    /// A JSON response: the bridge's own answers (webhooks, probes, admin API) all take this shape.
    public static func json(_ status: HTTPResponse.Status, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.encode(value))))
    }

    /// A JSON response of a `Codable` message (the admin API's, shared with the CLI), keys sorted.
    public static func json(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain structs cannot fail; should one ever, the caller still gets a JSON answer.
        let bytes = (try? encoder.encode(value)).map(Array.init) ?? Array(#"{"error":"the answer could not be encoded"}"#.utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
