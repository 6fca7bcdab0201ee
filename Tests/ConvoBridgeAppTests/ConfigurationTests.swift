import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeServer
import Foundation
import Testing

@Suite("Configuration: YAML, environment overrides, secrets by reference, errors that name the key")
struct ConfigurationTests {
    static let valid = """
        store:
          path: /var/lib/convobridge/state.sqlite
        kafka:
          bootstrap_servers: kafka-1:9092,kafka-2:9092
          properties:
            compression.type: zstd
          secret_properties_env:
            sasl.password: KAFKA_PASSWORD
        server:
          listen: 0.0.0.0:8080
        sources:
          - name: jelou-prod
            base_url: https://gateway.jelou.ai/jelouapi
            project_id: p-123
            auth:
              scheme: api_key
              api_key_env: JELOU_API_KEY
              client_id: client-1
              client_secret_env: JELOU_CLIENT_SECRET
            advisor:
              api_base_url: https://api.jelou.ai
              interval: 2m
              lookback: 6h
            webhook:
              signing_secret_env: JELOU_SIGNING_SECRET
            conversations: [c-1, c-2]
            schedule:
              open_interval: 10s
              closed_grace: 1h
              vanish_after: 4
        """
    static let environment = [
        "JELOU_API_KEY": "key-123456", "JELOU_CLIENT_SECRET": "secret-123456", "JELOU_SIGNING_SECRET": "whsec-123456",
        "KAFKA_PASSWORD": "kafka-pass-123",
    ]

    @Test("A full production file loads, with secrets from the environment")
    func valid() throws {
        let configuration = try ConfigurationLoader(environment: Self.environment).load(yaml: Self.valid)
        #expect(configuration.storePath == "/var/lib/convobridge/state.sqlite")
        #expect(configuration.kafka.publisher.bootstrapServers == "kafka-1:9092,kafka-2:9092")
        #expect(configuration.kafka.publisher.properties == ["compression.type": "zstd", "sasl.password": "kafka-pass-123"])
        #expect(configuration.server?.host == "0.0.0.0" && configuration.server?.port == 8080)
        #expect(
            configuration.server?.admin == BridgeConfiguration.Server.defaultAdminAddress,
            "webhooks on a public address: the admin API and the metrics default to a loopback listener of their own")
        #expect(configuration.server?.metrics == nil && configuration.server?.limits == BridgeConfiguration.Server.Limits().withDefaultMaxConnections)
        let source = try #require(configuration.sources.first)
        guard case .jelou(let baseURL, let projectID, let credentials, let advisorBaseURL, let advisorCredentials) = source.connection else {
            Issue.record("expected a Jelou connection, got \(source.connection)")
            return
        }
        #expect(source.name == "jelou-prod" && projectID == "p-123" && baseURL == "https://gateway.jelou.ai/jelouapi")
        #expect(credentials == .apiKey("key-123456"))
        #expect(advisorCredentials == .basic(clientID: "client-1", clientSecret: "secret-123456") && advisorBaseURL == "https://api.jelou.ai")
        #expect(source.discovery?.interval == .seconds(120) && source.discovery?.window.lookback == .seconds(21_600))
        #expect(source.webhook?.path == "/webhooks/jelou-prod" && source.webhook?.verification.header == "X-Jelou-Signature")
        #expect(source.secrets.contains("whsec-123456"))
        #expect(source.conversationIDs == ["c-1", "c-2"])
        #expect(source.schedule.openInterval == .seconds(10) && source.schedule.closedGrace == .seconds(3600))
        #expect(source.schedule.closedInterval == .seconds(60), "defaults fill what the file leaves out")
        #expect(source.vanishAfterNotFound == 4)
        #expect(Set(configuration.secrets).isSuperset(of: ["key-123456", "secret-123456", "whsec-123456", "kafka-pass-123"]))
    }

    @Test("Listeners and server limits: admin and metrics addresses, timeouts, connection cap")
    func serverListeners() throws {
        let yaml = Self.valid.replacingOccurrences(
            of: "  listen: 0.0.0.0:8080",
            with: """
                  listen: 0.0.0.0:8080
                  admin_listen: 10.0.0.5:9000
                  metrics_listen: 0.0.0.0:9464
                  header_timeout: 5s
                  body_timeout: 20s
                  idle_timeout: 1m
                  max_connections: 100
                """)
        #expect(yaml != Self.valid)
        let server = try #require(try ConfigurationLoader(environment: Self.environment).load(yaml: yaml).server)
        #expect(server.admin == .init(host: "10.0.0.5", port: 9000) && server.metrics == .init(host: "0.0.0.0", port: 9464))
        #expect(server.limits.headerTimeout == .seconds(5) && server.limits.bodyTimeout == .seconds(20))
        #expect(server.limits.idleTimeout == .seconds(60) && server.limits.maxConnections == 100)
        let local = Self.valid.replacingOccurrences(of: "  listen: 0.0.0.0:8080", with: "  listen: 127.0.0.1:8080")
        #expect(
            try ConfigurationLoader(environment: Self.environment).load(yaml: local).server?.admin == nil,
            "webhooks on loopback: everything on one local listener")
    }

    @Test("Environment overrides win over the file")
    func overrides() throws {
        var environment = Self.environment
        environment["CONVOBRIDGE_KAFKA_BOOTSTRAP_SERVERS"] = "override:9092"
        environment["CONVOBRIDGE_SOURCES_0_PROJECT_ID"] = "p-override"
        environment["CONVOBRIDGE_SOURCES_0_SCHEDULE_OPEN_INTERVAL"] = "30s"
        let configuration = try ConfigurationLoader(environment: environment).load(yaml: Self.valid)
        #expect(configuration.kafka.publisher.bootstrapServers == "override:9092")
        guard case .jelou(_, let projectID, _, _, _) = configuration.sources[0].connection else {
            Issue.record("expected Jelou")
            return
        }
        #expect(projectID == "p-override")
        #expect(configuration.sources[0].schedule.openInterval == .seconds(30))
    }

    @Test(
        "The dataschema base: an absolute URI, given a trailing slash; spaces and non-ASCII refused",
        arguments: [
            ("urn:example:convobridge:v1:", "urn:example:convobridge:v1:", nil),
            ("https://s.example.com/cb/v1", "https://s.example.com/cb/v1/", nil),
            ("https://s.example.com/a b/", nil, "a URI has no spaces"),
            ("https://s.example.com/é/", nil, "a URI has no spaces"),
            ("://nothing", nil, "expected an absolute URI"),
            ("1http://x/", nil, "expected an absolute URI"),
        ] as [(String, String?, String?)])
    func dataSchemaBase(value: String, loaded: String?, problem: String?) {
        let yaml = """
            kafka: {bootstrap_servers: "k:9092", dataschema_base: \(JSONWriter.string(.string(value)))}
            sources:
              - {name: z, platform: zild, base_url: "https://zild.example", auth: {token_env: ZILD_JWT}, conversations: [1]}
            """
        do {
            let configuration = try ConfigurationLoader(environment: ["ZILD_JWT": "jwt-123"]).load(yaml: yaml)
            #expect(configuration.kafka.encoder.dataSchemaBase == loaded)
        } catch let error as ConfigurationError {
            #expect(
                problem.map { expected in error.problems.contains { $0.hasPrefix("kafka.dataschema_base: \(expected)") } } == true,
                "\(error.problems)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test("Every problem is reported at once, each naming the key and the fix")
    func problems() {
        let yaml = """
            kafka:
              bootstrap_servers: localhost:9092
              properties:
                sasl.password: hunter2
              dataschema_base: schemas/v1/
            sources:
              - name: jelou prod
                base_url: gateway.jelou.ai
                auth:
                  api_key: plain-text-key
                schedule:
                  open_interval: often
                  closed_interval: 1e300s
                  closed_grace: inf
                  vanish_afer: 3
            """
        let error = #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: [:]).load(yaml: yaml) }
        let problems = error?.problems ?? []
        #expect(
            problems.contains(
                "kafka.properties.sasl.password: secrets are not accepted as values; list it under kafka.secret_properties_env with an environment variable name"
            ))
        #expect(problems.contains { $0.hasPrefix("sources[0].name: use letters, digits") })
        #expect(
            problems.contains(
                #"kafka.dataschema_base: expected an absolute URI such as https://schemas.example.com/convobridge/v1/, found "schemas/v1/""#))
        #expect(problems.contains("sources[0].base_url: expected an http:// or https:// URL, found gateway.jelou.ai"))
        #expect(problems.contains("sources[0].project_id: missing; the Jelou project id"))
        #expect(problems.contains { $0.hasPrefix("sources[0].auth.api_key: secrets are not accepted as values; set api_key_env") })
        #expect(problems.contains("sources[0].schedule.open_interval: expected a duration like 500ms, 15s, 2m or 1h (at most a year), found often"))
        #expect(
            problems.contains("sources[0].schedule.closed_interval: expected a duration like 500ms, 15s, 2m or 1h (at most a year), found 1e300s"))
        #expect(problems.contains("sources[0].schedule.closed_grace: expected a duration like 500ms, 15s, 2m or 1h (at most a year), found inf"))
        #expect(problems.contains { $0.hasPrefix("sources[0].schedule.vanish_afer: unknown key") })
        #expect(
            !(error?.description.contains("hunter2") ?? true) && !(error?.description.contains("plain-text-key") ?? true),
            "a refused secret is not repeated in the error")
    }

    @Test("A secret reference whose variable is not set says so")
    func unsetSecret() {
        var environment = Self.environment
        environment["JELOU_API_KEY"] = nil
        let error = #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: environment).load(yaml: Self.valid) }
        #expect(error?.problems == ["sources[0].auth.api_key_env: JELOU_API_KEY is not set"])
        #expect(error?.description == "configuration: sources[0].auth.api_key_env: JELOU_API_KEY is not set")
    }

    @Test("A secret file that is a device, a directory or too large is refused, not read")
    func secretFiles() throws {
        let large = FileManager.default.temporaryDirectory.appendingPathComponent("large-secret-\(UUID().uuidString)").path
        try String(repeating: "k", count: 64 * 1024 + 1).write(toFile: large, atomically: true, encoding: .utf8)
        let small = FileManager.default.temporaryDirectory.appendingPathComponent("small-secret-\(UUID().uuidString)").path
        try "key-from-file\n".write(toFile: small, atomically: true, encoding: .utf8)
        defer { for file in [large, small] { try? FileManager.default.removeItem(atPath: file) } }
        func problems(_ file: String) -> [String]? {
            let yaml = Self.valid.replacingOccurrences(of: "api_key_env: JELOU_API_KEY", with: "api_key_file: \(file)")
            do {
                _ = try ConfigurationLoader(environment: Self.environment).load(yaml: yaml)
                return nil
            } catch { return error.problems }
        }
        #expect(
            problems("/dev/zero") == ["sources[0].auth.api_key_file: cannot read /dev/zero: not a regular file (a directory, a device or a pipe)"])
        #expect(problems("/tmp") == ["sources[0].auth.api_key_file: cannot read /tmp: not a regular file (a directory, a device or a pipe)"])
        #expect(problems(large) == ["sources[0].auth.api_key_file: cannot read \(large): 65537 bytes, over the 64 KiB a secret file may hold"])
        #expect(problems("/nonexistent/secret")?.first?.hasPrefix("sources[0].auth.api_key_file: cannot read /nonexistent/secret: ") == true)
        #expect(problems(small) == nil)
    }

    @Test(
        "Aliases that multiply each other are refused before they expand, as values or as keys; plain aliases and long lists load",
        .timeLimit(.minutes(1)))
    func expansionLimit() throws {
        // Nine levels of ten aliases each: a billion values once expanded.
        var bomb = Self.valid + "\n    tags0: &l0 [a, b, c, d, e, f, g, h, i, j]"
        for level in 1...8 {
            bomb += "\n    tags\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]"
        }
        // The same aliases as a mapping key: composing the YAML would hash the key, expanding it (found by the fuzzer).
        for yaml in [bomb, bomb + "\n    ? *l8\n    : key"] {
            let error = #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: Self.environment).load(yaml: yaml) }
            #expect(error?.problems == ["the file expands to more than 100000 values; are YAML aliases (*name) repeating each other?"])
        }

        let aliased =
            Self.valid.replacingOccurrences(of: "conversations: [c-1, c-2]", with: "conversations: &ids [c-1, c-2]")
            + "\n  - name: jelou-other\n    base_url: https://gateway.jelou.ai/jelouapi\n    project_id: p-9\n"
            + "    auth: {api_key_env: JELOU_API_KEY}\n    conversations: *ids"
        let sources = try ConfigurationLoader(environment: Self.environment).load(yaml: aliased).sources
        #expect(sources.map(\.conversationIDs) == [["c-1", "c-2"], ["c-1", "c-2"]])

        let ids = (0..<50_000).map { "c-\($0)" }
        let long = Self.valid.replacingOccurrences(of: "conversations: [c-1, c-2]", with: "conversations: [\(ids.joined(separator: ", "))]")
        #expect(try ConfigurationLoader(environment: Self.environment).load(yaml: long).sources[0].conversationIDs == ids)
    }

    @Test("The example files in config/ load", arguments: ["demo.yaml", "jelou-production.yaml", "chatvolt-production.yaml", "zild-production.yaml"])
    func examples(file: String) throws {
        let path = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let environment = Self.environment.merging([
            "BRIDGE_ADMIN_TOKEN": "admin-token-0123456789abcdef0123456789", "CHATVOLT_API_KEY": "cv-key-123",
            "CHATVOLT_WEBHOOK_SECRET": "cv-hook-123", "ZILD_JWT": "jwt-123456",
            "ZILD_WEBHOOK_SECRET": "zild-hook-123", "CRM_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ]) { $1 }
        let configuration = try ConfigurationLoader(environment: environment)
            .load(file: "/\(path)/config/\(file)")
        #expect(!configuration.sources.isEmpty)
    }

    @Test("Effective settings: every value with its origin (file, default, environment override), secrets masked")
    func effectiveSettings() throws {
        let environment = Self.environment.merging(["CONVOBRIDGE_SOURCES_0_PROJECT_ID": "p-override"]) { $1 }
        let configuration = try ConfigurationLoader(environment: environment).load(yaml: Self.valid)
        let settings = Dictionary(configuration.effectiveSettings.map { ($0.path, $0) }) { first, _ in first }
        #expect(
            settings["sources[0].project_id"]
                == EffectiveSetting(
                    path: "sources[0].project_id", value: "p-override",
                    origin: .environment("CONVOBRIDGE_SOURCES_0_PROJECT_ID")))
        #expect(
            settings["sources[0].schedule.open_interval"] == EffectiveSetting(path: "sources[0].schedule.open_interval", value: "10s", origin: .file))
        #expect(settings["sources[0].schedule.closed_grace"]?.value == "1h")
        #expect(
            settings["sources[0].schedule.closed_interval"]
                == EffectiveSetting(path: "sources[0].schedule.closed_interval", value: "1m", origin: .defaultValue))
        #expect(settings["sources[0].http.timeout"]?.value == "15s" && settings["relay.batch_size"]?.value == "1000")
        #expect(settings["kafka.properties.compression.type"]?.origin == .file)
        #expect(
            settings["kafka.properties.sasl.password"]
                == EffectiveSetting(
                    path: "kafka.properties.sasl.password", value: EffectiveSetting.mask,
                    origin: .secret("from $KAFKA_PASSWORD")))
        #expect(settings["sources[0].auth.api_key"]?.value == EffectiveSetting.mask)
        #expect(settings["sources[0].conversations"]?.value == "[c-1, c-2]")
        #expect(configuration.effectiveSettings.count == Set(configuration.effectiveSettings.map(\.path)).count, "each setting once")

        let report = EffectiveConfigurationReport(file: "prod.yaml", configuration: configuration)
        let rendered = report.text + JSONWriter.string(report.json)
        for secret in Self.environment.values { #expect(!rendered.contains(secret), "\(secret) is masked") }
        #expect(report.text.contains("sources[0].schedule.closed_interval") && report.text.contains("(default)"))
    }

    @Test("Chatvolt and Zild sources: their own keys, defaults, and errors that name the key")
    func otherPlatforms() throws {
        let emptyFile = FileManager.default.temporaryDirectory.appendingPathComponent("empty-token-\(UUID().uuidString)").path
        try "\n".write(toFile: emptyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: emptyFile) }
        let yaml = """
            kafka: {bootstrap_servers: "k:9092"}
            server: {listen: "127.0.0.1:8080"}
            sources:
              - name: cv
                platform: chatvolt
                auth: {api_key_env: CV_KEY}
                discovery: {status: HUMAN_REQUESTED, lookback: 2h}
                webhook: {header: X-Hook, secret_env: CV_HOOK}
              - name: zd
                platform: zild
                base_url: https://zild.example
                auth: {token_file: \(emptyFile)}
                ended_reasons: {4: resolved}
                conversations: [12, 13]
                ids_topic: ids
                webhook: {secret_env: CV_HOOK, verify: hmac_sha256, conversation_id_path: data.ticket}
            """
        let environment = ["CV_KEY": "cv-key-123", "CV_HOOK": "hook-secret-1"]
        // The Zild token file is empty: one problem, named by its key.
        let empty = #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: environment).load(yaml: yaml) }
        #expect(empty?.problems == ["sources[1].auth.token_file: \(emptyFile) is empty"])

        let withToken = yaml.replacing("token_file: \(emptyFile)", with: "token_env: ZILD_JWT")
        let configuration = try ConfigurationLoader(environment: environment.merging(["ZILD_JWT": "jwt-123456"]) { $1 }).load(yaml: withToken)
        let chatvolt = configuration.sources[0]
        guard case .chatvolt(let baseURL, let token, let status) = chatvolt.connection else {
            Issue.record("expected Chatvolt")
            return
        }
        #expect(baseURL == "https://api.chatvolt.ai" && token == BearerToken("cv-key-123") && status == "HUMAN_REQUESTED")
        #expect(chatvolt.discovery?.pageSize == 100 && chatvolt.discovery?.window.lookback == .seconds(7200))
        #expect(chatvolt.webhook?.verification.header == "X-Hook" && chatvolt.webhook?.path == "/webhooks/cv")
        let zild = configuration.sources[1]
        guard case .zild(_, _, let labels) = zild.connection else {
            Issue.record("expected Zild")
            return
        }
        #expect(labels == [4: "resolved"] && zild.conversationIDs == ["12", "13"] && zild.idsTopic == "ids" && zild.discovery == nil)
        #expect(zild.webhook?.format.conversationIDPaths == ["data.ticket"])
        guard case .hmacSHA256? = zild.webhook?.verification else {
            Issue.record("expected HMAC")
            return
        }
        #expect(configuration.secrets.contains("jwt-123456") && configuration.secrets.contains("hook-secret-1"))
        #expect(configuration.effectiveSettings.count == Set(configuration.effectiveSettings.map(\.path)).count, "each setting once")

        let bad = """
            kafka: {bootstrap_servers: "k:9092"}
            sources:
              - {name: cv, platform: chatvolt, auth: {api_key_env: CV_KEY}, discovery: {status: OPEN, page_size: 500}, advisor: {}}
              - {name: zd, platform: zild, auth: {token_env: CV_KEY}, conversations: [abc], ended_reasons: {x: y}}
              - {name: other, platform: intercom}
            """
        let error = #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: environment).load(yaml: bad) }
        let problems = error?.problems.joined(separator: "\n") ?? ""
        for expected in [
            "sources[0].advisor: unknown key", "sources[0].discovery.status: expected one of HUMAN_REQUESTED, RESOLVED, UNRESOLVED, found OPEN",
            "sources[0].discovery.page_size: expected a whole number in 1...100", "sources[1].base_url: missing",
            "sources[1].conversations[0]: Zild conversation ids are positive integers, found \"abc\"",
            "sources[1].ended_reasons.x: expected an integer id", "sources[2].platform: expected one of jelou, chatvolt, zild, found intercom",
        ] {
            #expect(problems.contains(expected), "\(expected) in:\n\(problems)")
        }
    }
}

extension BridgeConfiguration.Server.Limits {
    /// The defaults, with the connection cap this process derives from its descriptor limit.
    var withDefaultMaxConnections: Self {
        var limits = BridgeConfiguration.Server.Limits()
        limits.maxConnections = BridgeConfiguration.Server.defaultMaxConnections()
        return limits
    }
}
