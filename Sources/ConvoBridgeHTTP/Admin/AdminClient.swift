import AsyncHTTPClient
public import ConvoBridgeCore
import Foundation
import NIOCore
import NIOHTTP1

/// The client side of the bridge's admin API, for `convobridge status` and `convobridge watch`.
public struct AdminClient: Sendable {
    public var baseURL: String
    public var token: String?
    public var timeout: Duration

    public init(baseURL: String, token: String?, timeout: Duration = .seconds(10)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.timeout = timeout
    }

    /// `GET /readyz`: ready or not, and the detail (no token needed).
    public func readiness() async throws(AdminClientError) -> (ready: Bool, detail: JSONValue) {
        let (status, body) = try await send(.GET, "/readyz", authenticated: false)
        guard status == 200 || status == 503 else { throw unexpected(status, body, "/readyz") }
        return (status == 200, body)
    }

    /// Each source's state, by name.
    public func sources() async throws(AdminClientError) -> [String: AdminSourceSummary] { try await admin(.GET, "/admin/sources") }

    public func outbox() async throws(AdminClientError) -> AdminOutboxSummary { try await admin(.GET, "/admin/outbox") }

    public func quarantine() async throws(AdminClientError) -> [AdminQuarantinedRecord] { try await admin(.GET, "/admin/quarantine") }

    /// `POST /admin/quarantine/retry` or `…/drop` for `ids`, or every quarantined record when nil.
    public func quarantine(_ action: QuarantineAction, ids: [Int64]?) async throws(AdminClientError) -> AdminQuarantineResult {
        try await admin(.POST, "/admin/quarantine/\(action.rawValue)", body: AdminQuarantineRequest(ids: ids))
    }

    /// What to do with quarantined records.
    public enum QuarantineAction: String, Sendable {
        /// Back into the outbox at their old place, published again.
        case retry
        /// Deleted for good.
        case drop
    }

    public func watchList(source: String) async throws(AdminClientError) -> [AdminWatchEntry] {
        try await admin(.GET, "/admin/sources/\(Self.escape(source))/conversations")
    }

    public func watch(source: String, conversationID: String) async throws(AdminClientError) -> AdminConversationResult {
        try await admin(.POST, "/admin/sources/\(Self.escape(source))/conversations", body: AdminWatchRequest(id: conversationID))
    }

    public func unwatch(source: String, conversationID: String) async throws(AdminClientError) -> AdminConversationResult {
        try await admin(.DELETE, "/admin/sources/\(Self.escape(source))/conversations/\(Self.escape(conversationID))")
    }

    /// An admin request and its answer, both the messages the bridge's admin API is written with.
    private func admin<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, body: (some Encodable)? = AdminErrorBody?.none
    ) async throws(AdminClientError) -> Answer {
        guard token != nil else { throw AdminClientError.noToken }
        let encoded = body.flatMap { try? JSONEncoder().encode($0) }.map { [UInt8]($0) }
        let (status, bytes) = try await exchange(method, path, body: encoded, authenticated: true)
        switch status {
        case 200:
            guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(bytes)) else {
                throw AdminClientError.failed(status: status, message: "the answer to \(path) is not what this version of convobridge reads")
            }
            return answer
        case 401: throw AdminClientError.tokenRefused
        case 404 where Self.errorMessage(bytes) == nil: throw AdminClientError.adminDisabled(baseURL)
        default: throw AdminClientError.failed(status: status, message: Self.errorMessage(bytes) ?? "unexpected answer to \(path)")
        }
    }

    private static func errorMessage(_ bytes: [UInt8]) -> String? {
        (try? JSONDecoder().decode(AdminErrorBody.self, from: Data(bytes)))?.error
    }

    private func unexpected(_ status: Int, _ body: JSONValue, _ path: String) -> AdminClientError {
        .failed(status: status, message: body["error"]?.stringValue ?? "unexpected answer to \(path)")
    }

    private func send(_ method: HTTPMethod, _ path: String, authenticated: Bool) async throws(AdminClientError) -> (Int, JSONValue) {
        let (status, bytes) = try await exchange(method, path, body: nil, authenticated: authenticated)
        return (status, (try? JSONParser.parse(bytes)) ?? .null)
    }

    private func exchange(
        _ method: HTTPMethod, _ path: String, body: [UInt8]?, authenticated: Bool
    ) async throws(AdminClientError) -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if authenticated, let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(timeout.wholeMilliseconds))
            let bytes = try await response.body.collect(upTo: 8 << 20)
            return (Int(response.status.code), Array(buffer: bytes))
        } catch {
            throw AdminClientError.unreachable(baseURL, String(describing: error))
        }
    }

    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
    }
}

/// Why an admin command failed, worded for the operator.
public enum AdminClientError: Error, Sendable, CustomStringConvertible, Equatable {
    case noToken
    case tokenRefused
    case adminDisabled(String)
    case unreachable(String, String)
    case failed(status: Int, message: String)

    public var description: String {
        switch self {
        case .noToken:
            "no admin token: set CONVOBRIDGE_ADMIN_TOKEN or pass --token-file (the bridge's server.admin_token_env/_file)"
        case .tokenRefused:
            "the bridge refused the admin token (401): it must equal the bridge's server.admin_token_env/_file"
        case .adminDisabled(let url):
            "\(url) has no admin API: enable it with server.admin_token_env (or _file) in the bridge's configuration"
        case .unreachable(let url, let reason):
            "cannot reach the bridge at \(url) (\(reason)); is it running with server.listen, and is --url right?"
        case .failed(let status, let message):
            "the bridge answered \(status): \(message)"
        }
    }
}
