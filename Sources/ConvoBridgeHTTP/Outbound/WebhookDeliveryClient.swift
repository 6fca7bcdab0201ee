public import ConvoBridgeCore
import NIOCore
import NIOHTTP1

/// POSTs events to one subscriber's URL: keep-alive HTTP/1.1 connections of its own, one deadline per attempt
/// (connect, TLS, the whole answer), no redirect followed, no proxy, and, unless the subscription allows private
/// networks, connections only to public addresses, checked after resolution (server-side request forgery).
public final class WebhookDeliveryClient: Sendable {
    /// The most of an answer's body read (it is discarded): a receiver's answer is an acknowledgement.
    static let maxAnswerBytes = 1 << 20
    private let pool: HTTP1ConnectionPool
    private let target: RequestTarget

    /// - Throws: ``InvalidURL`` naming what is wrong with `url` (never the URL's query).
    public init(url: String, allowPrivateNetwork: Bool, maxConnections: Int, connectTimeout: Duration = .seconds(5)) throws(InvalidURL) {
        do {
            target = try RequestTarget(url: url)
        } catch {
            throw InvalidURL(reason: error.description)
        }
        pool = HTTP1ConnectionPool(
            maxIdlePerOrigin: max(1, maxConnections), connectTimeout: connectTimeout,
            destinationPolicy: allowPrivateNetwork ? .any : .publicOnly)
    }

    public struct InvalidURL: Error, Sendable, Hashable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// One attempt. `now` reads an HTTP-date `Retry-After`.
    /// - Throws: only `CancellationError`, when the task is cancelled (the attempt's outcome is unknown).
    public func post(headers: [(String, String)], body: [UInt8], timeout: Duration, now: Timestamp) async throws -> DeliveryAttemptResult {
        var head = HTTPHeaders(headers)
        head.replaceOrAdd(name: "Connection", value: "keep-alive")
        do {
            let answer = try await pool.execute(
                method: .POST, target: target, headers: head, body: ByteBuffer(bytes: body), timeout: timeout,
                maxBodyBytes: Self.maxAnswerBytes)
            switch answer.status {
            case 200...299: return .delivered(status: answer.status)
            case 410: return .gone
            default:
                let retryAfter = answer.headers.first(name: "Retry-After").flatMap { RetryAfter.delay(from: $0, now: now) }
                return .rejected(status: answer.status, retryAfter: retryAfter)
            }
        } catch let error as HTTP1TransportError {
            if error == .deadlinePassed { return .timedOut }
            return .failed(reason: error.description)
        } catch {
            try Task.checkCancellation()
            return .failed(reason: "\(error)")
        }
    }

    public func shutdown() async {
        await pool.shutdown()
    }
}
