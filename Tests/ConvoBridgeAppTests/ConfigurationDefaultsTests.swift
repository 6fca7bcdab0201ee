import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
import Foundation
import Testing

@testable import ConvoBridgeApp

/// `config/*-production.yaml` show every key with its default: each value there must be what the code uses when
/// the key is left out, or the file misleads whoever copies it.
@Suite("Configuration defaults, files against code")
struct ConfigurationDefaultsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let environment = [
        "JELOU_API_KEY": "key-123456", "JELOU_CLIENT_SECRET": "secret-123456", "JELOU_SIGNING_SECRET": "whsec-123456",
        "KAFKA_PASSWORD": "kafka-pass-123", "BRIDGE_ADMIN_TOKEN": "admin-token-0123456789abcdef0123456789",
        "CHATVOLT_API_KEY": "cv-key-123", "CHATVOLT_WEBHOOK_SECRET": "cv-hook-123", "ZILD_JWT": "jwt-123456",
        "ZILD_WEBHOOK_SECRET": "zild-hook-123", "CRM_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ]

    /// Keys whose value in the files is the operator's to choose, not a default: addresses, names, credentials,
    /// librdkafka properties, the conversations to watch, and platform-specific vocabularies.
    static let chosenByTheOperator = [
        "store.path", "kafka.bootstrap_servers", "kafka.properties.", "server.listen", "server.admin_listen", ".name", ".platform",
        ".base_url", ".project_id", ".auth.", ".conversations", ".webhook.signing_secret", ".webhook.secret", ".ended_reasons",
        ".ids_topic", "server.admin_token", ".url", ".secret", ".types", ".sources",
    ]

    /// Removes the member at `path` (`a.b[0].c`) from `tree`.
    static func removing(_ path: [ConfigReader.Part], from tree: JSONValue) -> JSONValue {
        guard let part = path.first else { return tree }
        switch part {
        case .key(let key):
            guard var object = tree.objectValue, let child = object[key] else { return tree }
            object[key] = path.count == 1 ? nil : removing(Array(path.dropFirst()), from: child)
            return .object(object)
        case .index(let index):
            guard var items = tree.arrayValue, items.indices.contains(index) else { return tree }
            items[index] = removing(Array(path.dropFirst()), from: items[index])
            return .array(items)
        }
    }

    @Test(
        "Each value the production files show is the code's default when the key is left out",
        arguments: ["jelou-production.yaml", "chatvolt-production.yaml", "zild-production.yaml"])
    func productionFilesShowDefaults(file: String) throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("config/\(file)"), encoding: .utf8)
        let tree = try YAMLDocument.parse(text)
        let loader = ConfigurationLoader(environment: Self.environment)
        let shown = try loader.load(tree: tree).effectiveSettings.filter { $0.origin == .file }
        var compared = 0
        for setting in shown where !Self.chosenByTheOperator.contains(where: { setting.path.contains($0) }) {
            let without = Self.removing(ConfigReader.parts(setting.path), from: tree)
            let defaults: [EffectiveSetting]
            do {
                defaults = try loader.load(tree: without).effectiveSettings
            } catch {
                // Required there (e.g. Advisor's base URL once Advisor is on): no default to compare.
                #expect(error.problems.contains { $0.hasPrefix(setting.path) }, "\(file): without \(setting.path): \(error.problems)")
                continue
            }
            let fallback = defaults.first { $0.path == setting.path }
            #expect(fallback?.origin == .defaultValue, "\(file): \(setting.path) has no default in the code")
            #expect(
                fallback?.value == setting.value,
                "\(file): \(setting.path) shows \(setting.value); the code's default is \(fallback?.value ?? "none")")
            compared += 1
        }
        #expect(compared >= (file == "jelou-production.yaml" ? 30 : 3), "\(file): only \(compared) defaults compared")
    }

    @Test("A file that sets only what is required gets each type's own defaults: the loader states none of its own")
    func minimalFileGetsTypeDefaults() throws {
        let yaml = """
            kafka: {bootstrap_servers: "127.0.0.1:9092"}
            server: {listen: "127.0.0.1:8080"}
            sources:
              - name: jelou-min
                base_url: https://gateway.jelou.ai/jelouapi
                project_id: p-1
                auth: {api_key_env: JELOU_API_KEY}
            """
        let configuration = try ConfigurationLoader(environment: Self.environment).load(yaml: yaml)
        #expect(configuration.storePath == BridgeConfiguration.defaultStorePath)
        #expect(configuration.storeMinimumFreeBytes == BridgeConfiguration.defaultStoreMinimumFreeBytes)
        #expect(configuration.kafka.publisher == KafkaPublisherConfiguration(bootstrapServers: "127.0.0.1:9092"))
        #expect(configuration.kafka.encoder == CloudEventEncoder.Configuration())
        let relay = BridgeConfiguration.Relay()
        #expect(configuration.relay.batchSize == relay.batchSize)
        #expect(configuration.relay.maxBacklog == relay.maxBacklog)
        #expect(configuration.relay.drainDeadline == relay.drainDeadline)
        #expect(configuration.server?.limits == BridgeConfiguration.Server.Limits())
        #expect(configuration.server?.maxBodyBytes == BridgeConfiguration.Server.defaultMaxBodyBytes)
        let source = try #require(configuration.sources.first)
        #expect(source.schedule == PollSchedule())
        #expect(source.http == SourceHTTPPolicy())
        #expect(source.vanishAfterNotFound == BridgeConfiguration.Source.defaultVanishAfterNotFound)
    }

    @Test("Unknown keys are refused with the keys their section's table accepts; a platform's own keys only on that platform")
    func keyTables() {
        let yaml = """
            kafka: {bootstrap_servers: "127.0.0.1:9092", clientid: x}
            relay: {batchsize: 5}
            sources:
              - name: zild-a
                platform: zild
                base_url: https://zild.example
                project_id: p-1
                auth: {token_env: ZILD_JWT, api_key_env: JELOU_API_KEY}
                conversations: [1]
            """
        do {
            _ = try ConfigurationLoader(environment: Self.environment).load(yaml: yaml)
            Issue.record("the file was accepted")
        } catch {
            let relayKeys = ConfigurationLoader.RelayKey.allCases.map(\.rawValue).sorted().joined(separator: ", ")
            #expect(error.problems.contains("relay.batchsize: unknown key; expected one of \(relayKeys)"), "\(error.problems)")
            #expect(error.problems.contains { $0.hasPrefix("kafka.clientid: unknown key; expected one of bootstrap_servers, client_id,") })
            #expect(error.problems.contains { $0.hasPrefix("sources[0].project_id: unknown key") }, "Jelou's key on a Zild source")
            #expect(error.problems.contains("sources[0].auth.api_key_env: unknown key; expected one of token, token_env, token_file"))
        }
    }

    @Test("The defaults the README states are the code's")
    func readmeDefaults() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        func seconds(_ duration: Duration) -> String { "\(duration.components.seconds) s" }
        /// 950000 as the README writes it: 950,000.
        func grouped(_ number: Int) -> String {
            var digits = Array(String(number))
            var index = digits.count - 3
            while index > 0 {
                digits.insert(",", at: index)
                index -= 3
            }
            return String(digits)
        }
        let publisher = KafkaPublisherConfiguration(bootstrapServers: "b:9092")
        let encoder = CloudEventEncoder.Configuration()
        let stated = [
            "`relay.drain_deadline` (\(seconds(BridgeConfiguration.Relay().drainDeadline))",
            "`kafka.shutdown_deadline` (\(seconds(publisher.shutdownDeadline)))",
            "`shutdownDeadline` (default \(seconds(publisher.shutdownDeadline)))",
            "`message.timeout.ms=\(publisher.messageTimeout.components.seconds * 1000)`",
            "`kafka.max_record_bytes` (\(grouped(encoder.maxRecordBytes)):",
            "| `admin_listen` | the [admin API](#admin-api), `/healthz`, `/readyz` (and `/metrics` unless `metrics_listen`) | "
                + "`\(BridgeConfiguration.Server.defaultAdminAddress)`",
        ]
        for text in stated {
            let said = readme.contains(text)
            #expect(said, "the README should say \(text)")
        }
    }
}
