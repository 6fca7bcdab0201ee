import ConvoBridgeCore
import ConvoBridgeSigning
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// A webhook receiver on loopback (Hummingbird) for the delivery tests: checks each request's Standard Webhooks
/// signature, records it, and answers as `answer` says (by the attempt, counted per `webhook-id` from 1, and the event).
final class RecordingWebhookReceiver: Sendable {
    struct Request: Sendable, Hashable {
        var index: Int
        var webhookID: String
        var conversation: String
        var sequence: Int
        var signatureValid: Bool
        var contentType: String
        var status: Int
        var extraHeader: String?
    }

    struct Answer: Sendable {
        var status: Int
        var headers: [String: String] = [:]
    }

    private let requests = Mutex<[Request]>([])
    private let portValue = Mutex<Int?>(nil)
    private let signer: StandardWebhookSigner
    private let answer: @Sendable (_ attempt: Int, _ conversation: String, _ sequence: Int) -> Answer

    init(secret: String, answer: @escaping @Sendable (_ attempt: Int, _ conversation: String, _ sequence: Int) -> Answer) throws {
        signer = try StandardWebhookSigner(secrets: [secret])
        self.answer = answer
    }

    var received: [Request] { requests.withLock { $0 } }
    var port: Int? { portValue.withLock { $0 } }

    /// The first successful delivery of each event, in arrival order, per conversation: its sequences.
    var deliveredSequences: [String: [Int]] {
        var seen: Set<String> = []
        var result: [String: [Int]] = [:]
        for request in received where (200...299).contains(request.status) && seen.insert(request.webhookID).inserted {
            result[request.conversation, default: []].append(request.sequence)
        }
        return result
    }

    /// Serves until `body` returns.
    func serving<T: Sendable>(_ body: @Sendable (RecordingWebhookReceiver) async throws -> T) async throws -> T {
        let router = Router()
        router.post("hook") { [self] request, _ -> Response in
            let bytes = Array(buffer: try await request.body.collect(upTo: 1 << 20))
            let id = request.headers[HTTPField.Name("webhook-id")!] ?? ""
            let timestamp = Int64(request.headers[HTTPField.Name("webhook-timestamp")!] ?? "") ?? 0
            let signature = request.headers[HTTPField.Name("webhook-signature")!] ?? ""
            let valid =
                signer.verify(id: id, timestamp: timestamp, body: bytes, signatures: signature, now: Int64(Date().timeIntervalSince1970))
                == .valid
            let event = (try? JSONParser.parse(bytes)) ?? .null
            let conversation = event["partitionkey"]?.stringValue ?? "?"
            let sequence = Int(event["sequence"]?.stringValue ?? "") ?? -1
            let (index, reply) = requests.withLock { requests -> (Int, Answer) in
                let index = requests.count
                let reply = answer(requests.count { $0.webhookID == id } + 1, conversation, sequence)
                requests.append(
                    Request(
                        index: index, webhookID: id, conversation: conversation, sequence: sequence,
                        signatureValid: valid && event["id"]?.stringValue == id,
                        contentType: request.headers[.contentType] ?? "", status: reply.status,
                        extraHeader: request.headers[HTTPField.Name("x-tenant")!]))
                return (index, reply)
            }
            _ = index
            var fields = HTTPFields()
            for (name, value) in reply.headers { fields[HTTPField.Name(name)!] = value }
            return Response(status: .init(code: reply.status), headers: fields)
        }
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { [self] channel in self.portValue.withLock { $0 = channel.localAddress?.port } },
            logger: Logger(label: "receiver", factory: { _ in SwiftLogNoOpLogHandler() }))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await application.runService(gracefulShutdownSignals: []) }
            defer { tasks.cancelAll() }
            let deadline = ContinuousClock.now + .seconds(10)
            while port == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            return try await body(self)
        }
    }
}
