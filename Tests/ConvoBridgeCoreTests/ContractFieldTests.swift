import ConvoBridgeCore
import Testing

/// The typed fields against the snapshot's JSON, which is what consumers see.
@Suite("Contract fields")
struct ContractFieldTests {
    /// A snapshot with each field drawn from a few values (nil included), so that pairs differ in a few fields.
    static func snapshot(_ random: inout SplitMix64) -> ConversationSnapshot {
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        let times: [Timestamp?] = [
            nil, Timestamp(millisecondsSinceEpoch: 1_764_000_000_000), Timestamp(millisecondsSinceEpoch: 1_764_000_000_001),
            Timestamp(millisecondsSinceEpoch: .max), Timestamp(millisecondsSinceEpoch: .max - 1),
        ]
        var attributes = JSONObject()
        if random.next() % 2 == 0 { attributes["tags"] = pick([.string("a"), .string("b"), .null]) }
        if random.next() % 2 == 0 { attributes["ai_enabled"] = pick([.bool(true), .bool(false)]) }
        return ConversationSnapshot(
            conversationID: "c-1", platform: .jelou, status: pick([.open, .closed]), state: pick([nil, "bot", "live_agent"]),
            endedReason: pick([nil, "resolved", "timeout"]), startedAt: pick(times), endedAt: pick(times), updatedAt: pick(times),
            user: pick([nil, .init(), .init(id: "u-1", name: "Ana")]), bot: pick([nil, .init(id: "b-1")]),
            assignee: pick([nil, .init(id: "a-1"), .init(id: "a-2", name: "Bo")]), team: pick([nil, "t-1"]), queue: pick([nil, "q-1"]),
            priority: pick([nil, "high"]), attributes: attributes)
    }

    /// What changed, read off the JSON: the snapshot's members in order, attributes one by one (absent as null).
    static func changedByJSON(_ previous: ConversationSnapshot, _ current: ConversationSnapshot) -> [String] {
        let before = previous.jsonValue.objectValue!
        let after = current.jsonValue.objectValue!
        var changed = after.members.filter { $0.key != "attributes" && before[$0.key] != $0.value }.map(\.key)
        var names = previous.attributes.keys
        for name in current.attributes.keys where !names.contains(name) { names.append(name) }
        changed += names.filter { (previous.attributes[$0] ?? .null) != (current.attributes[$0] ?? .null) }.map { "attributes.\($0)" }
        return changed
    }

    @Test("The snapshot's JSON lists the top-level fields by their contract names, in the table's order, then attributes")
    func jsonOrder() {
        let keys = ConversationSnapshot(conversationID: "c", platform: .zild, status: .open).jsonValue.objectValue!.keys
        #expect(keys == ContractField.topLevel.map(\.name) + ["attributes"])
    }

    @Test("Changed fields compared on typed values are exactly those whose JSON differs, in the same order (20,000 pairs)")
    func typedMatchesJSON() {
        var random = SplitMix64(seed: 20_261_202)
        for _ in 0..<20_000 {
            let previous = Self.snapshot(&random)
            let current = Self.snapshot(&random)
            let typed = SnapshotDiff.changedFields(previous, current)
            #expect(typed.map(\.name) == Self.changedByJSON(previous, current))
            for field in typed { #expect(field.value(in: previous) != field.value(in: current)) }
        }
    }

    @Test("An attribute sent as null, then left out, is no change: no updated event from null to null")
    func absentAttributeIsNull() {
        var previous = ConversationSnapshot(conversationID: "c-1", platform: .jelou, status: .open)
        previous.attributes["time_replied_operator_ms"] = .null
        let current = ConversationSnapshot(conversationID: "c-1", platform: .jelou, status: .open)
        #expect(SnapshotDiff.changedFields(previous, current).isEmpty)
        let observation = Observation(source: "s", id: "o-1", observedAt: Timestamp(millisecondsSinceEpoch: 1_764_000_000_000), raw: .null)
        #expect(SnapshotDiff.events(from: previous, to: current, observation: observation, nextSequence: 2).isEmpty)
    }

    @Test("Transitions take their kind from the event type")
    func kinds() {
        #expect(
            EventType.derivedInContractOrder.compactMap(\.transitionKind) == [
                "discovered", "closed", "reopened", "state_changed", "ended_reason_changed", "assignment_changed", "updated", "vanished",
            ])
        #expect(EventType.native(platform: .jelou, name: "message").transitionKind == nil)
        #expect(Transition(.assignmentChanged, field: .team, from: .null, to: .string("t")).kind == "assignment_changed")
        #expect(Transition(.updated, field: .attribute("tags"), from: .null, to: .string("a")).field == "attributes.tags")
    }
}
