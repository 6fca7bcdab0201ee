import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeTestSupport
import Foundation
import Testing

/// `deploy/`: what can be checked without a Docker engine or a cluster. The files must parse, agree with each other
/// and with the bridge (variables, ports, probe paths, metric names), and pass the real tools where installed
/// (`promtool`, `systemd-analyze`, `kubectl`, `kubernetes-validate`; CI installs what it can).
@Suite("deploy/: manifests, unit, alert rules")
struct DeployFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    static func yaml(_ relative: String) throws -> JSONValue { try YAMLDocument.parse(try String(contentsOfFile: path(relative), encoding: .utf8)) }

    static func installed(_ program: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(program)")
        }
    }

    /// Runs an installed tool; its exit status and everything it printed.
    static func run(_ program: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let result = try await ChildProcess.run(program: program, arguments)
        return (result.status, result.stdout + result.stderr)
    }

    @Test(
        "Every YAML file in deploy/ parses",
        arguments: [
            "deploy/kubernetes/kustomization.yaml", "deploy/kubernetes/configmap.yaml", "deploy/kubernetes/deployment.yaml",
            "deploy/kubernetes/service.yaml", "deploy/kubernetes/podmonitor.yaml", "deploy/kubernetes/prometheusrule.yaml",
            "deploy/kubernetes/persistentvolumeclaim.yaml", "deploy/kubernetes/secret.example.yaml",
            "deploy/kubernetes-replicas/kustomization.yaml", "deploy/kubernetes-replicas/statefulset.yaml",
            "deploy/kubernetes-replicas/headless-service.yaml", "deploy/kubernetes-replicas/configmap.yaml",
            "deploy/prometheus/convobridge-alerts.yaml", "deploy/prometheus/convobridge-alerts.test.yaml",
        ])
    func parses(file: String) throws {
        let document = try Self.yaml(file)
        #expect(document.objectValue?.isEmpty == false)
    }

    @Test("Kustomization lists every manifest except the example Secret")
    func kustomization() throws {
        let resources = try #require(try Self.yaml("deploy/kubernetes/kustomization.yaml")["resources"]?.arrayValue).compactMap(\.stringValue)
        let manifests = try FileManager.default.contentsOfDirectory(atPath: Self.path("deploy/kubernetes"))
            .filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" && $0 != "secret.example.yaml" }
        #expect(Set(resources) == Set(manifests))
    }

    @Test("The ConfigMap's configuration loads with exactly the variables the Deployment takes from the Secret; probes and ports agree")
    func kubernetesAgrees() throws {
        let deployment = try Self.yaml("deploy/kubernetes/deployment.yaml")
        #expect(deployment["spec"]?["replicas"]?.scalarText == "1", "one writer of the SQLite store")
        #expect(deployment["spec"]?["strategy"]?["type"]?.stringValue == "Recreate")
        let container = try #require(deployment["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first)
        let variables = (container["env"]?.arrayValue ?? []).compactMap { entry -> String? in
            #expect(entry["valueFrom"]?["secretKeyRef"]?["name"]?.stringValue == "convobridge-secrets", "secrets by reference only")
            return entry["name"]?.stringValue
        }
        let secretKeys = Set(try #require(try Self.yaml("deploy/kubernetes/secret.example.yaml")["stringData"]?.objectValue).keys)
        let referencedKeys = Set((container["env"]?.arrayValue ?? []).compactMap { $0["valueFrom"]?["secretKeyRef"]?["key"]?.stringValue })
        #expect(referencedKeys == secretKeys, "the example Secret has every key the Deployment reads")

        let text = try #require(try Self.yaml("deploy/kubernetes/configmap.yaml")["data"]?["convobridge.yaml"]?.stringValue)
        let environment = Dictionary(uniqueKeysWithValues: variables.map { ($0, "value-of-\($0)-0123456789abcdef") })
        let configuration = try ConfigurationLoader(environment: environment).load(yaml: text)
        for variable in variables {
            let dropped = environment.filter { $0.key != variable }
            #expect(throws: ConfigurationError.self, "\(variable) is needed") { try ConfigurationLoader(environment: dropped).load(yaml: text) }
        }
        let server = try #require(configuration.server)
        let ports = Dictionary(
            uniqueKeysWithValues: (container["ports"]?.arrayValue ?? []).compactMap { port in
                port["name"]?.stringValue.map { ($0, port["containerPort"]?.scalarText ?? "") }
            })
        #expect(ports["http"] == String(server.port))
        let scraped = try Self.yaml("deploy/kubernetes/podmonitor.yaml")["spec"]?["podMetricsEndpoints"]?.arrayValue?.first?["port"]?.stringValue
        #expect(ports[scraped ?? ""] == server.metrics.map { String($0.port) }, "the PodMonitor scrapes the metrics listener")
        #expect(server.admin?.isLoopback == true, "the admin API stays on the pod's loopback")
        #expect(try Self.yaml("deploy/kubernetes/service.yaml")["spec"]?["ports"]?.arrayValue?.map { $0["targetPort"]?.stringValue } == ["http"])
        #expect(container["livenessProbe"]?["httpGet"]?["path"]?.stringValue == "/healthz")
        #expect(container["readinessProbe"]?["httpGet"]?["path"]?.stringValue == "/readyz")
        let mounts = (container["volumeMounts"]?.arrayValue ?? []).compactMap { $0["mountPath"]?.stringValue }
        #expect(mounts.contains { configuration.storePath.hasPrefix($0 + "/") }, "the store is on the volume")
        let arguments = (container["args"]?.arrayValue ?? []).compactMap(\.stringValue)
        #expect(arguments.contains("/etc/convobridge/convobridge.yaml") && mounts.contains("/etc/convobridge"))
    }

    @Test("The replicas variant: a StatefulSet of several, no volume claim, its configuration in kafka mode with the base's variables")
    func replicasVariant() throws {
        let kustomization = try Self.yaml("deploy/kubernetes-replicas/kustomization.yaml")
        let resources = (kustomization["resources"]?.arrayValue ?? []).compactMap(\.stringValue)
        #expect(resources == ["../kubernetes", "statefulset.yaml", "headless-service.yaml"])
        let deleted = (kustomization["patches"]?.arrayValue ?? []).compactMap { $0["patch"]?.stringValue }.joined()
        #expect(
            deleted.contains("kind: Deployment") && deleted.contains("kind: PersistentVolumeClaim"), "the base's single replica and its volume go")
        let statefulSet = try Self.yaml("deploy/kubernetes-replicas/statefulset.yaml")
        #expect(statefulSet["kind"]?.stringValue == "StatefulSet")
        #expect((Int(statefulSet["spec"]?["replicas"]?.scalarText ?? "") ?? 0) >= 2)
        #expect(statefulSet["spec"]?["serviceName"]?.stringValue == "convobridge-replicas")
        let pod = statefulSet["spec"]?["template"]?["spec"]
        #expect(pod?["volumes"]?.arrayValue?.contains { $0["persistentVolumeClaim"] != nil } == false, "no shared volume")
        #expect(pod?["volumes"]?.arrayValue?.contains { $0["name"]?.stringValue == "state" && $0["emptyDir"] != nil } == true)
        let base = try Self.yaml("deploy/kubernetes/deployment.yaml")["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first
        let container = pod?["containers"]?.arrayValue?.first
        #expect(container?["env"] == base?["env"], "the same secrets as the base")
        #expect(container?["args"] == base?["args"] && container?["ports"] == base?["ports"])

        let text = try #require(try Self.yaml("deploy/kubernetes-replicas/configmap.yaml")["data"]?["convobridge.yaml"]?.stringValue)
        let variables = (container?["env"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let environment = Dictionary(uniqueKeysWithValues: variables.map { ($0, "value-of-\($0)-0123456789abcdef") })
        let configuration = try ConfigurationLoader(environment: environment).load(yaml: text)
        guard case .kafka(let group) = configuration.coordination else {
            Issue.record("the replicas' configuration is not in kafka mode")
            return
        }
        #expect(group.partitions >= 3 && group.staticMembership)
        let mounts = (container?["volumeMounts"]?.arrayValue ?? []).compactMap { $0["mountPath"]?.stringValue }
        #expect(mounts.contains { configuration.storePath.hasPrefix($0 + "/") }, "the store (a cache) is on the emptyDir")
    }

    @Test("The PrometheusRule carries exactly the groups of the rules file")
    func prometheusRuleMatches() throws {
        let rules = try Self.yaml("deploy/prometheus/convobridge-alerts.yaml")["groups"]
        let operatorRule = try Self.yaml("deploy/kubernetes/prometheusrule.yaml")
        #expect(operatorRule["spec"]?["groups"] == rules)
        #expect(rules?.arrayValue?.first?["rules"]?.arrayValue?.count ?? 0 >= 6)
    }

    @Test("promtool: the rules are valid and their unit tests pass", .enabled(if: installed("promtool")))
    func promtool() async throws {
        let check = try await Self.run("promtool", ["check", "rules", Self.path("deploy/prometheus/convobridge-alerts.yaml")])
        #expect(check.status == 0, "\(check.output)")
        let unitTests = try await Self.run("promtool", ["test", "rules", Self.path("deploy/prometheus/convobridge-alerts.test.yaml")])
        #expect(unitTests.status == 0 && unitTests.output.contains("SUCCESS"), "\(unitTests.output)")
    }

    /// The kinds of the resources `kubectl kustomize` builds from `directory`, and its YAML.
    static func kustomize(_ directory: String) async throws -> (kinds: [String], yaml: String) {
        let built = try await ChildProcess.run(program: "kubectl", ["kustomize", path(directory)])
        #expect(built.status == 0, "kubectl kustomize \(directory): \(built.stderr)")
        let kinds = built.stdout.split(separator: "\n").filter { $0.hasPrefix("kind: ") }.map { String($0.dropFirst(6)) }
        return (kinds.sorted(), built.stdout)
    }

    @Test(
        "kubectl kustomize builds both variants: one Deployment with its claim; the replicas a StatefulSet without either",
        .enabled(if: installed("kubectl")))
    func kustomizeBuilds() async throws {
        let single = try await Self.kustomize("deploy/kubernetes")
        #expect(single.kinds == ["ConfigMap", "Deployment", "PersistentVolumeClaim", "PodMonitor", "PrometheusRule", "Service"])
        let replicas = try await Self.kustomize("deploy/kubernetes-replicas")
        #expect(replicas.kinds == ["ConfigMap", "PodMonitor", "PrometheusRule", "Service", "Service", "StatefulSet"])
        #expect(replicas.yaml.contains("mode: kafka"), "the replicas' configuration replaces the base's")
    }

    @Test(
        "kubernetes-validate --strict: what both variants build is valid Kubernetes",
        .enabled(if: installed("kubectl") && installed("kubernetes-validate")))
    func kubernetesValidate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-k8s-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for variant in ["deploy/kubernetes", "deploy/kubernetes-replicas"] {
            let file = directory.appendingPathComponent("\(variant.replacing("/", with: "-")).yaml").path
            try await Self.kustomize(variant).yaml.write(toFile: file, atomically: true, encoding: .utf8)
            let validated = try await Self.run("kubernetes-validate", ["--strict", file])
            #expect(validated.status == 0, "\(variant): \(validated.output)")
        }
    }

    @Test("systemd-analyze verify: the unit has no error or warning", .enabled(if: installed("systemd-analyze")))
    func systemdUnit() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // verify checks that the executables exist; it does not run them.
        let original = try String(contentsOfFile: Self.path("deploy/systemd/convobridge.service"), encoding: .utf8)
        #expect(original.contains("ExecStart=/usr/local/bin/convobridge run --config /etc/convobridge/convobridge.yaml"))
        let unit = original.replacing("/usr/local/bin/convobridge", with: "/bin/true")
        let file = directory.appendingPathComponent("convobridge.service").path
        try unit.write(toFile: file, atomically: true, encoding: .utf8)
        let verify = try await Self.run("systemd-analyze", ["verify", file])
        #expect(verify.status == 0 && verify.output.isEmpty, "\(verify.output)")
    }

    @Test("Dockerfile: two stages, librdkafka from apt in both, a non-root user, the run command")
    func dockerfile() throws {
        let text = try String(contentsOfFile: Self.path("deploy/docker/Dockerfile"), encoding: .utf8)
        let stages = text.split(separator: "\n").filter { $0.hasPrefix("FROM ") }
        #expect(stages.count == 2)
        #expect(text.contains("librdkafka-dev") && text.contains("librdkafka1"))
        #expect(text.contains("USER 10001"))
        #expect(text.contains(#"CMD ["run", "--config", "/etc/convobridge/convobridge.yaml""#))
    }

    @Test("deploy/lake: the sinks read the bridge's topics, partition by record time, keep ce_id and tombstones")
    func lakeRecipe() throws {
        func connector(_ file: String) throws -> JSONValue {
            let document = try JSONParser.parse(try String(contentsOfFile: Self.path("deploy/lake/\(file)"), encoding: .utf8))
            #expect(document["name"]?.stringValue?.hasPrefix("convobridge-") == true, "\(file) names its connector")
            return try #require(document["config"], "\(file) has a config")
        }
        let defaults = CloudEventEncoder.Configuration()
        let events = try connector("s3-sink-conversation-events.json")
        #expect(events["topics"]?.stringValue == defaults.eventsTopic)
        #expect(events["timestamp.extractor"]?.stringValue == "Record", "time partitions come from the record time, = observed_at")
        #expect(events["store.kafka.headers"]?.stringValue == "true", "ce_id, the deduplication key, is a header in binary mode")
        let state = try connector("s3-sink-conversation-state.json")
        #expect(state["topics"]?.stringValue == defaults.stateTopic)
        #expect(
            state["behavior.on.null.values"]?.stringValue == "write" && state["store.kafka.keys"]?.stringValue == "true",
            "a vanished conversation's tombstone lands, with its key")
        let iceberg = try connector("iceberg-sink-conversation-events.json")
        #expect(iceberg["topics"]?.stringValue == defaults.eventsTopic)
        #expect(iceberg["transforms.kafka.timestamp.field"]?.stringValue == "record_time")
        #expect(iceberg["transforms.headers.headers"]?.stringValue?.split(separator: ",").contains("ce_id") == true)
        let table = try String(contentsOfFile: Self.path("deploy/lake/iceberg-tables.sql"), encoding: .utf8)
        #expect(table.contains("CREATE TABLE \(iceberg["iceberg.tables"]?.stringValue ?? "?") ("), "the SQL creates the connector's table")
        #expect(table.contains("PARTITIONED BY (days(record_time), source)") && table.contains("PARTITION BY ce_id"))
        for column in ["ce_id", "ce_type", "record_time", "kafka_offset", "source", "conversation_id", "sequence", "op"] {
            #expect(table.contains("\n    \(column) "), "the table has the \(column) column the connector writes")
        }
    }
}
