import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeSigning
import Testing

@Suite("Configuration of outbound webhooks: subscriptions, secrets by reference, filters, and errors that name the key")
struct DeliveryConfigurationTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let environment = ["CRM_SECRET": secret, "OLD_SECRET": "whsec_" + String(repeating: "A", count: 32), "CRM_TOKEN": "tok-123"]

    static func yaml(_ webhooks: String) -> String {
        """
        kafka:
          bootstrap_servers: localhost:9092
        sources:
          - name: zild-prod
            platform: zild
            base_url: https://api.zild.example
            auth:
              token_env: CRM_TOKEN
        \(webhooks)
        """
    }

    static func load(_ webhooks: String) throws(ConfigurationError) -> BridgeConfiguration {
        try ConfigurationLoader(environment: environment).load(yaml: yaml(webhooks))
    }

    static func problems(_ webhooks: String) -> [String] {
        do {
            _ = try load(webhooks)
            return []
        } catch {
            return error.problems
        }
    }

    @Test("A subscription with every setting; defaults from the types; secrets masked and given to the redactor")
    func fullSubscription() throws {
        let configuration = try Self.load(
            """
            webhooks:
              retry_schedule: [1s, 10s]
              dead_letter_topic: events-dlq
              subscriptions:
                - name: crm
                  url: https://crm.example.com/hooks?key=abc
                  secret_env: CRM_SECRET
                  previous_secret_env: OLD_SECRET
                  types: [conversation.*, zild.message]
                  sources: [zild-prod]
                  headers:
                    X-Tenant: t1
                  secret_headers_env:
                    Authorization: CRM_TOKEN
                  timeout: 5s
                  concurrency: 4
            """)
        let delivery = try #require(configuration.delivery)
        #expect(delivery.schedule.delays == [.seconds(1), .seconds(10)])
        #expect(delivery.deadLetterTopic == "events-dlq")
        #expect(delivery.groupID == BridgeConfiguration.Delivery.defaultGroupID)
        let crm = try #require(delivery.subscriptions.first)
        #expect(crm.filter.matches(type: "conversation.closed", source: "zild-prod"))
        #expect(!crm.filter.matches(type: "zild.other", source: "zild-prod"))
        #expect(crm.headers.map(\.name) == ["X-Tenant", "Authorization"])
        #expect(crm.timeout == .seconds(5) && crm.concurrency == 4 && !crm.allowPrivateNetwork)
        // Signed with both secrets during a rotation.
        #expect(crm.signer.signature(id: "a", timestamp: 1, body: []).split(separator: " ").count == 2)
        #expect(configuration.secrets.contains(Self.secret) && configuration.secrets.contains("tok-123"))
        let report = configuration.effectiveSettings.map { "\($0.path)=\($0.value)" }
        #expect(!report.contains { $0.contains(Self.secret) || $0.contains("tok-123") })
        #expect(report.contains("webhooks.subscriptions[0].timeout=5s"))
        #expect(EffectiveConfigurationReport(file: "f.yaml", configuration: configuration).summary.hasSuffix("1 webhook subscription(s): crm"))
    }

    @Test("Without a webhooks section nothing is delivered; defaults are Svix's schedule and 15 s per attempt")
    func defaults() throws {
        #expect(try Self.load("").delivery == nil)
        let delivery = try #require(
            try Self.load(
                """
                webhooks:
                  subscriptions:
                    - {name: a, url: "https://a.example/x", secret_env: CRM_SECRET}
                """
            ).delivery)
        #expect(delivery.schedule == .svix)
        #expect(delivery.subscriptions.first?.timeout == .seconds(15))
        #expect(delivery.subscriptions.first?.concurrency == 10)
    }

    @Test(
        "Each mistake is named with its key: secret inline or malformed, reserved or broken header, unknown source, bad pattern, plain http, duplicate name"
    )
    func problems() {
        let problems = Self.problems(
            """
            webhooks:
              retry_schedule: [5s, soon]
              subscriptions:
                - name: a
                  url: http://crm.example.com/hook
                  secret: whsec_inline
                  types: ["con*.closed"]
                  sources: [nowhere]
                  headers:
                    webhook-id: mine
                    X-Bad: "a\\r\\nb"
                - name: a
                  url: https://b.example
                  secret_env: CRM_TOKEN
            """)
        let expected = [
            "webhooks.retry_schedule[1]",
            "webhooks.subscriptions[0].url: http:// would send",
            "webhooks.subscriptions[0].secret: secrets are not accepted as values",
            "webhooks.subscriptions[0].types[0]: con*.closed: a * may only end a pattern",
            "webhooks.subscriptions[0].headers.webhook-id: webhook-id is set by the deliverer",
            "webhooks.subscriptions[0].headers.X-Bad: a header value cannot hold control characters",
            "webhooks.subscriptions[1].secret: a signing secret has the form whsec_<base64>",
            "webhooks.subscriptions[0].sources: nowhere is not a configured source",
        ]
        for prefix in expected {
            #expect(problems.contains { $0.hasPrefix(prefix) }, "\(prefix) in \(problems)")
        }
        #expect(!problems.joined().contains("whsec_inline"), "a secret given inline is never repeated")
        #expect(!problems.joined().contains("tok-123"))
        let duplicate = Self.problems(
            """
            webhooks:
              subscriptions:
                - {name: a, url: "https://a.example/x", secret_env: CRM_SECRET}
                - {name: a, url: "https://b.example/x", secret_env: CRM_SECRET}
            """)
        #expect(duplicate == ["webhooks.subscriptions[1].name: a is used by another subscription; names must be unique"])
        #expect(Self.problems("webhooks: {}").contains { $0.hasPrefix("webhooks.subscriptions: at least one subscription") })
    }
}
