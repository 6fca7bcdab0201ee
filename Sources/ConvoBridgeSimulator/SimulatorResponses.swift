import ConvoBridgeCore
import HTTPTypes
import Hummingbird
import NIOCore

/// Bodies the simulated platform answers with, in Jelou's documented shapes.
enum SimulatorResponses {
    static func json(_ status: HTTPResponse.Status, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        bytes(status, JSONWriter.encode(value), contentType: "application/json", headers: headers)
    }

    static func bytes(_ status: HTTPResponse.Status, _ body: [UInt8], contentType: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static let htmlErrorPage = Array(
        "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>".utf8)
}

/// A JSON answer before it is rendered, so a fault can cut it short.
struct JSONAnswer {
    var status: HTTPResponse.Status
    var body: JSONValue

    init(_ status: HTTPResponse.Status, _ body: JSONValue) {
        self.status = status
        self.body = body
    }

    /// A `.null` body is an empty one (ASP.NET's bare 401).
    var response: Response { body.isNull ? Response(status: status) : SimulatorResponses.json(status, body) }

    /// Jelou's gateway error envelope.
    static func jelouError(_ status: HTTPResponse.Status, code: String, description: String, validation: JSONObject = [:]) -> JSONAnswer {
        JSONAnswer(
            status,
            .object([
                "message": .string(description),
                "statusMessage": .string("error"),
                "status": .integer(0),
                "error": .object([
                    "code": .string(code), "key": .string(code), "description": .string(description),
                    "developerMessages": .object([:]), "clientMessages": .object([:]),
                ]),
                "validationError": .object(validation),
            ]))
    }
}
