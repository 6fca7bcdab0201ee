import ConvoBridgeCore
import Foundation
import Testing

/// `deploy/grafana/convobridge.json`: it must load as a Grafana dashboard, its queries must be valid PromQL, and
/// every metric they name must exist in a real scrape of the bridge (that part is in ``ObservabilityTests``).
@Suite("deploy/grafana: the dashboard")
struct GrafanaDashboardTests {
    static let file = "deploy/grafana/convobridge.json"

    static func dashboard() throws -> JSONValue {
        try JSONParser.parse(try String(contentsOfFile: DeployFilesTests.path(file), encoding: .utf8))
    }

    /// Every query of every panel, `$source` left as it is.
    static func expressions() throws -> [String] {
        try (dashboard()["panels"]?.arrayValue ?? []).flatMap { $0["targets"]?.arrayValue ?? [] }.compactMap { $0["expr"]?.stringValue }
    }

    /// The metric names the queries use, as a scrape shows them (a histogram's `_bucket` series).
    static func metricNames() throws -> Set<String> {
        Set(try expressions().flatMap { $0.matches(of: /convobridge_[a-z_]+/).map { String($0.output) } })
    }

    @Test("It is a dashboard: rows in order, panels on the 24-column grid without overlap, queries on the chosen Prometheus")
    func structure() throws {
        let dashboard = try Self.dashboard()
        #expect(dashboard["uid"] == .string("convobridge") && dashboard["title"] == .string("ConvoBridge"))
        #expect((dashboard["schemaVersion"]?.int64Value.map(Int.init) ?? 0) >= 36)
        let variables = dashboard["templating"]?["list"]?.arrayValue ?? []
        #expect(variables.map { $0["name"]?.stringValue } == ["datasource", "source"])
        let panels = try #require(dashboard["panels"]?.arrayValue)
        #expect(panels.filter { $0["type"] == .string("row") }.map { $0["title"]?.stringValue } == ["Overview", "Ingest", "Transitions", "Publish"])
        #expect(Set(panels.compactMap { $0["id"]?.int64Value.map(Int.init) }).count == panels.count, "panel ids are unique")
        var cells = Set<[Int]>()
        for panel in panels {
            let title = panel["title"]?.stringValue ?? "?"
            let grid = panel["gridPos"]
            let (x, y, w, h) = (
                grid?["x"]?.int64Value.map(Int.init) ?? -1, grid?["y"]?.int64Value.map(Int.init) ?? -1, grid?["w"]?.int64Value.map(Int.init) ?? 0,
                grid?["h"]?.int64Value.map(Int.init) ?? 0
            )
            #expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 24, "\(title) is on the grid")
            for column in x..<max(x, x + w) {
                for line in y..<max(y, y + h) { #expect(cells.insert([column, line]).inserted, "\(title) overlaps another panel") }
            }
            guard panel["type"] != .string("row") else { continue }
            #expect(["timeseries", "stat"].contains(panel["type"]?.stringValue ?? ""), "\(title): a core panel type")
            #expect(panel["datasource"]?["uid"] == .string("${datasource}"), "\(title) queries the chosen data source")
            #expect(panel["description"]?.stringValue?.isEmpty == false, "\(title) says what it shows")
            let targets = panel["targets"]?.arrayValue ?? []
            #expect(!targets.isEmpty && targets.allSatisfy { $0["expr"]?.stringValue?.contains("convobridge_") == true }, "\(title) has queries")
        }
        #expect(try Self.metricNames().count >= 15)
    }

    @Test("promtool: every query is valid PromQL", .enabled(if: DeployFilesTests.installed("promtool")))
    func promQL() async throws {
        // promtool checks PromQL only inside rule files: each query becomes a recording rule.
        let rules = try Self.expressions().enumerated().map { index, expression in
            "      - record: dashboard:query\(index)\n        expr: \(JSONWriter.string(.string(expression.replacing("$source", with: ".*"))))"
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-dashboard-\(UUID().uuidString).yaml")
        try ("groups:\n  - name: dashboard\n    rules:\n" + rules.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let check = try await DeployFilesTests.run("promtool", ["check", "rules", file.path])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("SUCCESS: \(rules.count) rules found"), "\(check.output)")
    }
}
