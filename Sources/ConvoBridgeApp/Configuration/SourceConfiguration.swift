public import ConvoBridgeCore
public import ConvoBridgeHTTP
public import ConvoBridgeServer

extension BridgeConfiguration {
    /// One configured source: a platform account, how to reach it, and how to find and watch its conversations.
    public struct Source: Sendable {
        /// Not-found answers in a row before a conversation is declared vanished.
        public static let defaultVanishAfterNotFound = 3

        public var name: String
        public var connection: Connection
        /// Discovery through the platform's list endpoint (Jelou's Advisor Conversations, Chatvolt's
        /// `GET /conversation`); nil watches only the ids given (configuration, admin API, webhooks, ids topic).
        public var discovery: Discovery?
        public var webhook: Webhook?
        /// Conversations to watch from the start.
        public var conversationIDs: [String]
        /// A Kafka topic whose records name conversations to watch (the value is the id, or `{"id": …}`).
        public var idsTopic: String?
        public var schedule: PollSchedule
        public var vanishAfterNotFound: Int
        public var http: SourceHTTPPolicy

        public init(
            name: String, connection: Connection, discovery: Discovery? = nil, webhook: Webhook? = nil,
            conversationIDs: [String] = [], idsTopic: String? = nil, schedule: PollSchedule = PollSchedule(),
            vanishAfterNotFound: Int = Self.defaultVanishAfterNotFound, http: SourceHTTPPolicy = SourceHTTPPolicy()
        ) {
            self.name = name
            self.connection = connection
            self.discovery = discovery
            self.webhook = webhook
            self.conversationIDs = conversationIDs
            self.idsTopic = idsTopic
            self.schedule = schedule
            self.vanishAfterNotFound = vanishAfterNotFound
            self.http = http
        }

        public var platform: Platform { connection.platform }

        /// Every secret of this source, for the redactor.
        public var secrets: [String] { connection.secrets + (webhook?.secrets ?? []) }
    }

    /// Where a source's platform is and how to authenticate.
    public enum Connection: Sendable {
        /// Get Conversation at `baseURL` (with its path prefix); Advisor Conversations at `advisorBaseURL` with Basic
        /// credentials (the source's own when they are Basic).
        case jelou(baseURL: String, projectID: String, credentials: JelouCredentials, advisorBaseURL: String?, advisorCredentials: JelouCredentials?)
        /// `statusFilter` limits discovery to one status.
        case chatvolt(baseURL: String, token: BearerToken, statusFilter: String?)
        /// `endedReasonLabels`: `conversationEndedReasonId` → label.
        case zild(baseURL: String, token: BearerToken, endedReasonLabels: [Int64: String])

        public var platform: Platform {
            switch self {
            case .jelou: .jelou
            case .chatvolt: .chatvolt
            case .zild: .zild
            }
        }

        public var secrets: [String] {
            switch self {
            case .jelou(_, _, let credentials, _, let advisorCredentials): credentials.secrets + (advisorCredentials?.secrets ?? [])
            case .chatvolt(_, let token, _), .zild(_, let token, _): token.secrets
            }
        }
    }

    /// How often and how far back a source's list endpoint is walked.
    public struct Discovery: Sendable {
        public var interval: Duration
        public var window: SlidingWindow
        public var pageSize: Int
        public var maxPages: Int

        public init(interval: Duration = .seconds(60), window: SlidingWindow = SlidingWindow(), pageSize: Int, maxPages: Int = 200) {
            self.interval = interval
            self.window = window
            self.pageSize = pageSize
            self.maxPages = maxPages
        }
    }

    /// A source's webhook endpoint.
    public struct Webhook: Sendable {
        public var path: String
        public var verification: WebhookVerification
        public var format: WebhookEventFormat
        /// Kept for the redactor (the verification does not show it).
        var secret: String
        /// Where the payload has a time (Jelou): refused when further than this from now; nil accepts any.
        public var replayWindow: Duration?
        /// How long a delivered body is remembered: the same body again within it is answered 200 with no new event
        /// and no poll; zero remembers nothing.
        public var rememberFor: Duration

        /// Twice the replay window where the payload has a time (an older body is refused by its timestamp anyway),
        /// else a day.
        public static func defaultRememberFor(replayWindow: Duration?) -> Duration {
            replayWindow.map { $0 * 2 } ?? .seconds(86_400)
        }

        public init(
            path: String, verification: WebhookVerification, format: WebhookEventFormat, secret: String,
            replayWindow: Duration? = WebhookEndpoint.defaultReplayWindow, rememberFor: Duration? = nil
        ) {
            self.path = path
            self.verification = verification
            self.format = format
            self.secret = secret
            self.replayWindow = replayWindow
            self.rememberFor = rememberFor ?? Self.defaultRememberFor(replayWindow: replayWindow)
        }

        var secrets: [String] { [secret] }
    }
}
