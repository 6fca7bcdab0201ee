import ConvoBridgeCore
import Testing

@Suite("Snapshot diff into typed transitions")
struct SnapshotDiffTests {
    static let observation = Observation(
        source: "jelou-prod", id: "obs-1", observedAt: Timestamp(iso8601: "2026-01-15T10:45:02.114Z")!,
        raw: .object(["_id": .string("c-1")])
    )
    static let open = ConversationSnapshot(
        conversationID: "c-1", platform: .jelou, status: .open, state: "active",
        startedAt: Timestamp(iso8601: "2026-01-15T10:30:00Z"), updatedAt: Timestamp(iso8601: "2026-01-15T10:40:00Z"),
        user: .init(id: "u-1", name: "Ana")
    )

    static func changed(_ change: (inout ConversationSnapshot) -> Void) -> ConversationSnapshot {
        var snapshot = open
        change(&snapshot)
        return snapshot
    }

    static let closed = changed {
        $0.status = .closed
        $0.state = "closed"
        $0.endedReason = "closed_by_operator"
        $0.endedAt = Timestamp(iso8601: "2026-01-15T10:45:00Z")
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var before: ConversationSnapshot
        var after: ConversationSnapshot
        var types: [EventType]
        var transitions: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "closing with an end reason", before: open, after: closed,
            types: [.closed, .endedReasonChanged],
            transitions: [#"status "open"→"closed""#, #"ended_reason null→"closed_by_operator""#]),
        Case(
            name: "reopening", before: closed, after: changed { $0.state = "active" },
            types: [.reopened, .endedReasonChanged],
            transitions: [#"status "closed"→"open""#, #"ended_reason "closed_by_operator"→null"#]),
        Case(
            name: "state within the closed category", before: closed,
            after: {
                var s = closed
                s.state = "resolved"
                return s
            }(),
            types: [.stateChanged], transitions: [#"state "closed"→"resolved""#]),
        Case(
            name: "end reason changed after closing", before: closed,
            after: {
                var s = closed
                s.endedReason = "expired"
                return s
            }(),
            types: [.endedReasonChanged], transitions: [#"ended_reason "closed_by_operator"→"expired""#]),
        Case(
            name: "assignment", before: open,
            after: changed {
                $0.assignee = .init(id: "op-1", name: "Luis")
                $0.team = "sales"
            },
            types: [.assignmentChanged], transitions: [#"assignee null→{"id":"op-1","name":"Luis"}"#]),
        Case(
            name: "queue only", before: open, after: changed { $0.queue = "vip" },
            types: [.assignmentChanged], transitions: [#"queue null→"vip""#]),
        Case(
            name: "another tracked field", before: open, after: changed { $0.priority = "HIGH" },
            types: [.updated], transitions: [#"priority null→"HIGH""#]),
        Case(
            name: "an attribute", before: open, after: changed { $0.attributes["isAiEnabled"] = .bool(false) },
            types: [.updated], transitions: [#"attributes.isAiEnabled null→false"#]),
        Case(
            name: "only the watermark", before: open, after: changed { $0.updatedAt = Timestamp(iso8601: "2026-01-15T11:00:00Z") },
            types: [], transitions: []),
        Case(name: "nothing", before: open, after: open, types: [], transitions: []),
        Case(
            name: "everything at once, in contract order", before: open,
            after: {
                var s = closed
                s.assignee = .init(id: "op-2")
                s.priority = "LOW"
                return s
            }(),
            types: [.closed, .endedReasonChanged, .assignmentChanged, .updated],
            transitions: [
                #"status "open"→"closed""#, #"ended_reason null→"closed_by_operator""#,
                #"assignee null→{"id":"op-2","name":null}"#, #"priority null→"LOW""#,
            ]),
    ]

    @Test("each kind of change yields its events, in order", arguments: cases)
    func table(_ testCase: Case) {
        let events = SnapshotDiff.events(from: testCase.before, to: testCase.after, observation: Self.observation, nextSequence: 7)
        #expect(events.map(\.type) == testCase.types)
        #expect(
            events.map { "\($0.transition!.field) \(JSONWriter.string($0.transition!.from))→\(JSONWriter.string($0.transition!.to))" }
                == testCase.transitions)
        #expect(events.map(\.sequence) == Array(7..<7 + Int64(events.count)))
        #expect(events.allSatisfy { $0.observationID == "obs-1" && $0.before == testCase.before && $0.after == testCase.after })
        #expect(Set(events.map(\.changedFields)).count <= 1, "one observation, one changed_fields list")
    }

    @Test("first observation: discovered, carrying the full state")
    func discovered() {
        let events = SnapshotDiff.events(from: nil, to: Self.closed, observation: Self.observation, nextSequence: 1)
        #expect(events.map(\.type) == [.discovered])
        #expect(events[0].after == Self.closed && events[0].before == nil && events[0].sequence == 1)
        #expect(events[0].raw == Self.observation.raw)
    }

    @Test("effective_at is the platform's time for the change when it gives one")
    func effectiveAt() {
        let events = SnapshotDiff.events(from: Self.open, to: Self.closed, observation: Self.observation, nextSequence: 1)
        #expect(events.map(\.effectiveAt.rfc3339) == ["2026-01-15T10:45:00.000Z", "2026-01-15T10:45:00.000Z"])
        var noTimes = Self.open
        noTimes.updatedAt = nil
        var priority = noTimes
        priority.priority = "HIGH"
        let updated = SnapshotDiff.events(from: noTimes, to: priority, observation: Self.observation, nextSequence: 1)
        #expect(updated.first?.effectiveAt == Self.observation.observedAt)
    }

    @Test("closing lists every changed field, the watermark included")
    func changedFields() {
        var after = Self.closed
        after.updatedAt = Timestamp(iso8601: "2026-01-15T10:45:00Z")
        let events = SnapshotDiff.events(from: Self.open, to: after, observation: Self.observation, nextSequence: 1)
        #expect(events.first?.changedFields == ["status", "state", "ended_reason", "ended_at", "updated_at"])
    }

    @Test("vanished: before is the last snapshot, after is null")
    func vanished() {
        let event = SnapshotDiff.vanished(previous: Self.open, observation: Self.observation, nextSequence: 4)
        #expect(event.type == .vanished && event.sequence == 4 && event.before == Self.open && event.after == nil)
        #expect(event.transition?.to == .null)
    }
}
