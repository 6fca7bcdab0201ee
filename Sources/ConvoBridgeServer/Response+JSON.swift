public import ConvoBridgeCore
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
}
