import ConvoBridgeCore
import HTTPTypes
import Hummingbird
import Logging

/// Zild's `GET /api/Conversation/{id}` (integer id = the conversation's number), Bearer JWT, answered the way an
/// ASP.NET Core `[ApiController]` answers: problem details for 400 and 404, an empty 401. Served under `/zild`.
struct ZildSimulatorRoutes: Sendable {
    let configuration: SimulatorConfiguration
    let world: SimulatorWorld
    let logger: Logger

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("zild/api/Conversation/:conversation") { request, context in
            let faults = FaultInjector(
                world: world, logger: logger, platformError: Self.problem,
                malformedBody: Array(#"{"id": 1, "active": tru"#.utf8))
            let number = context.parameters.get("conversation").flatMap { Int($0) }
            return try await faults.serve(conversationID: number.flatMap { world.conversation(number: $0)?.id }) { getConversation(request, context) }
        }
    }

    static func problem(_ status: HTTPResponse.Status, _ title: String) -> JSONAnswer {
        JSONAnswer(
            status, .object(["type": .string("https://tools.ietf.org/html/rfc9110"), "title": .string(title), "status": .integer(Int(status.code))]))
    }

    private func getConversation(_ request: Request, _ context: BasicRequestContext) -> JSONAnswer {
        guard request.headers[.authorization] == "Bearer \(configuration.bearerToken)" else { return JSONAnswer(.unauthorized, .null) }
        guard let text = context.parameters.get("conversation"), let number = Int32(text) else {
            return Self.problem(.badRequest, "The value is not valid.")
        }
        guard let conversation = world.conversation(number: Int(number)) else { return Self.problem(.notFound, "Not Found") }
        return JSONAnswer(.ok, world.patched(conversation.zildBody(), conversationID: conversation.id))
    }
}
