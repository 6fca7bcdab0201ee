import AsyncHTTPClient
import ConvoBridgeCore
import ConvoBridgeSigning
import NIOCore
import NIOHTTP1

/// Sends the webhooks Jelou would send, signed with the simulator's signing secret over the exact body bytes.
struct WebhookSender: Sendable {
    let signature: WebhookSignature
    let projectID: String

    /// The payload of `event` for `conversation`, in the documented shapes.
    func payload(event: String, conversation: SimulatedConversation, at: Timestamp) -> JSONValue {
        switch event {
        case "message":
            return .object([
                "field": .string("messages"), "object": .string("message_event"), "event_type": .string("message"),
                "timestamp": .integer(at.millisecondsSinceEpoch), "project_id": .string(projectID), "room_id": .string(conversation.roomID),
                "contact": .object(["id": .string(conversation.userID), "name": .string(conversation.userName)]),
                "conversation": .object(["id": .string(conversation.id)]),
                "bot": .object(["id": .string(conversation.botID), "name": .string(conversation.botName)]),
                "value": .object([
                    "id": .string("msg-\(at.millisecondsSinceEpoch)"), "type": .string("text"),
                    "content": .object(["body": .string("Hola, ¿siguen ahí?")]),
                ]),
            ])
        default:
            return .object([
                "event": .string(event), "timestamp": .integer(at.millisecondsSinceEpoch), "project_id": .string(projectID),
                "room_id": .string(conversation.roomID), "conversation_id": .string(conversation.id),
                "reason": .optional(conversation.endedReason),
            ])
        }
    }

    /// POSTs `body` signed to `url`; returns the receiver's status code.
    func send(_ body: [UInt8], to url: String, client: HTTPClient) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: WebhookSignature.jelouHeader, value: signature.sign(body))
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(20))
        _ = try await response.body.collect(upTo: 64 * 1024)
        return Int(response.status.code)
    }
}
