public import ConvoBridgeCore
import Synchronization

/// The simulator's population of conversations and everything done to them. Seeded, so the same seed and the
/// same calls give the same conversations; every change goes to a numbered log.
///
/// Scripted lifecycle, one step per `advance`: assigned → closed (`closed_by_operator`) → end reason changed →
/// reopened → resolved (`closed_by_user`) → deleted (404 from then on).
public final class SimulatorWorld: Sendable {
    public static let operators = ["Ana Torres", "Luis Paredes", "Maria Vega", "Jorge Ruiz"]
    public static let teams = ["Soporte", "Ventas", "Cobranzas"]
    public static let channels = ["Whatsapp", "Facebook", "Web"]

    private struct State {
        var conversations: [String: SimulatedConversation] = [:]
        var order: [String] = []
        var changes: [SimulatorChange] = []
        var faults: [SimulatorFault] = []
        /// Besides the queued faults: each request draws one of these kinds with probability `rate`.
        var randomFaults: (rate: Double, kinds: [SimulatorFault], generator: SplitMix64)?
        var random: SplitMix64
        var nextConversation = 1
        /// Members merged into a conversation's Get Conversation answers (hostile values, for the fault suite).
        var patches: [String: JSONObject] = [:]
    }

    private let state: Mutex<State>
    private let now: @Sendable () -> Timestamp

    /// - Parameters:
    ///   - population: conversations at start, at varied points of their lifecycle.
    ///   - seed: the random seed for names, times and which conversation moves next.
    ///   - now: the simulator's clock.
    public init(population: Int, seed: UInt64, now: @escaping @Sendable () -> Timestamp) {
        self.now = now
        state = Mutex(State(random: SplitMix64(seed: seed)))
        let start = now()
        state.withLock { state in
            for _ in 0..<population {
                var conversation = Self.makeConversation(&state, at: start)
                let stage = Int.random(in: 0...2, using: &state.random)
                if stage >= 1 { Self.applyStep(&conversation, at: start, random: &state.random) }
                if stage >= 2 { Self.applyStep(&conversation, at: start, random: &state.random) }
                Self.record(&state, conversation, kind: .created, at: start)
            }
        }
    }

    // MARK: Reading

    /// A conversation the platform knows (nil once deleted).
    public func conversation(_ id: String) -> SimulatedConversation? {
        state.withLock { state in state.conversations[id].flatMap { $0.deleted ? nil : $0 } }
    }

    /// A conversation by its number (Zild's integer id), nil once deleted.
    public func conversation(number: Int) -> SimulatedConversation? {
        state.withLock { state in state.conversations.values.first { $0.number == number && !$0.deleted } }
    }

    public var conversations: [SimulatedConversation] {
        state.withLock { state in state.order.compactMap { state.conversations[$0] } }
    }

    /// What Advisor Conversations lists: conversations with a human agent, started within `start...end`, oldest first.
    public func attended(start: Timestamp, end: Timestamp) -> [SimulatedConversation] {
        state.withLock { state in
            state.order.compactMap { state.conversations[$0] }.filter { conversation in
                !conversation.deleted && conversation.operatorName != nil
                    && conversation.startAt >= start && conversation.startAt <= end
            }
        }
    }

    /// The change log from number `after + 1` on.
    public func changes(after: Int = 0) -> [SimulatorChange] {
        state.withLock { state in Array(state.changes.drop { $0.number <= after }) }
    }

    /// The simulator's clock now.
    public var currentTime: Timestamp { now() }

    // MARK: Control

    @discardableResult
    public func create(id: String? = nil) throws(SimulatorError) -> SimulatorChange {
        let at = now()
        return try state.withLock { state throws(SimulatorError) in
            if let id, state.conversations[id] != nil { throw .conversationExists(id) }
            let conversation = Self.makeConversation(&state, at: at, id: id)
            return Self.record(&state, conversation, kind: .created, at: at)
        }
    }

    @discardableResult
    public func assign(_ id: String, operator name: String, team: String?) throws(SimulatorError) -> SimulatorChange {
        try change(id, kind: .assigned) { conversation, _ throws(SimulatorError) in
            conversation.operatorName = name
            conversation.teamName = team
            if conversation.timeRepliedOperator == nil { conversation.timeRepliedOperator = 45_000 }
        }
    }

    @discardableResult
    public func close(
        _ id: String, reason: String = "closed_by_operator", state closedState: String = "closed"
    ) throws(SimulatorError) -> SimulatorChange {
        try change(id, kind: .closed) { conversation, at throws(SimulatorError) in
            guard conversation.isOpen else { throw .invalidTransition(conversationID: id, reason: "already \(conversation.state)") }
            conversation.state = closedState
            conversation.endAt = at
            conversation.endedReason = reason
        }
    }

    @discardableResult
    public func reopen(_ id: String) throws(SimulatorError) -> SimulatorChange {
        try change(id, kind: .reopened) { conversation, _ throws(SimulatorError) in
            guard !conversation.isOpen else { throw .invalidTransition(conversationID: id, reason: "already active") }
            conversation.state = "active"
            conversation.endAt = nil
            conversation.endedReason = nil
        }
    }

    @discardableResult
    public func setEndedReason(_ id: String, _ reason: String?) throws(SimulatorError) -> SimulatorChange {
        try change(id, kind: .endedReasonChanged) { conversation, _ throws(SimulatorError) in
            conversation.endedReason = reason
        }
    }

    /// A change of state within the closed category (`closed` → `resolved` or `expired`).
    @discardableResult
    public func setClosedState(_ id: String, _ newState: String) throws(SimulatorError) -> SimulatorChange {
        try change(id, kind: .stateChanged) { conversation, _ throws(SimulatorError) in
            guard !conversation.isOpen, newState != "active" else {
                throw .invalidTransition(conversationID: id, reason: "state changes stay within closed states; use close or reopen")
            }
            conversation.state = newState
        }
    }

    @discardableResult
    public func delete(_ id: String) throws(SimulatorError) -> SimulatorChange {
        try change(id, kind: .deleted) { conversation, _ throws(SimulatorError) in conversation.deleted = true }
    }

    /// Moves `steps` conversations one step along their scripted lifecycle (picked at random among those not yet
    /// deleted), and now and then starts a new one.
    @discardableResult
    public func advance(steps: Int) -> [SimulatorChange] {
        let at = now()
        return state.withLock { state in
            var made: [SimulatorChange] = []
            // The live conversations in creation order, kept up to date step by step rather than recomputed: a
            // population of 100,000 would otherwise cost a full scan per step.
            var live = state.order.filter { state.conversations[$0]?.deleted == false }
            for _ in 0..<max(0, steps) {
                if Int.random(in: 0..<10, using: &state.random) == 0 {
                    let created = Self.makeConversation(&state, at: at)
                    made.append(Self.record(&state, created, kind: .created, at: at))
                    live.append(created.id)
                    continue
                }
                guard let index = live.indices.randomElement(using: &state.random), var conversation = state.conversations[live[index]] else { break }
                let kind = Self.applyStep(&conversation, at: at, random: &state.random)
                made.append(Self.record(&state, conversation, kind: kind, at: at))
                if conversation.deleted { live.remove(at: index) }
            }
            return made
        }
    }

    // MARK: Faults

    /// From now on, `members` are merged into `conversationID`'s Get Conversation answers (into `data` for Jelou, the
    /// top level elsewhere), replacing what they name; an empty object removes the patch.
    public func setPatch(_ conversationID: String, _ members: JSONObject) {
        state.withLock { $0.patches[conversationID] = members.isEmpty ? nil : members }
    }

    /// `body` with `conversationID`'s patch merged in at `path` (`nil`: the top level).
    func patched(_ body: JSONValue, conversationID: String, under path: String? = nil) -> JSONValue {
        guard let patch = state.withLock({ $0.patches[conversationID] }), case .object(var root) = body else { return body }
        func merge(_ object: JSONObject) -> JSONObject {
            var merged = JSONObject(object.members.filter { member in !patch.keys.contains(member.key) })
            for member in patch.members { merged.append(member.key, member.value) }
            return merged
        }
        guard let path else { return .object(merge(root)) }
        guard case .object(let inner)? = root[path] else { return body }
        root = JSONObject(root.members.map { $0.key == path ? .init(key: path, value: .object(merge(inner))) : $0 })
        return .object(root)
    }

    public func addFault(_ fault: SimulatorFault) {
        state.withLock { $0.faults.append(fault) }
    }

    /// How many requests the queued faults will still answer (random faults aside).
    public var queuedFaultCount: Int {
        state.withLock { $0.faults.reduce(0) { $0 + $1.count } }
    }

    public func clearFaults() {
        state.withLock { $0.faults.removeAll() }
    }

    /// The fault the next platform request must show, if any (each fault serves `count` requests, in order).
    /// From now on, each request is answered with one of `kinds` (picked at random) with probability `rate`;
    /// a rate of 0 stops it. Queued faults come first.
    public func setRandomFaults(rate: Double, kinds: [SimulatorFault], seed: UInt64) {
        state.withLock { state in
            state.randomFaults = rate > 0 && !kinds.isEmpty ? (min(rate, 1), kinds, SplitMix64(seed: seed)) : nil
        }
    }

    /// - Parameter conversationID: the conversation the request is for (nil for lists): faults scoped to another
    ///   conversation are passed over.
    func takeFault(for conversationID: String? = nil) -> SimulatorFault? {
        state.withLock { state in
            guard let index = state.faults.firstIndex(where: { $0.conversationID == nil || $0.conversationID == conversationID }) else {
                guard var random = state.randomFaults else { return nil }
                defer { state.randomFaults = random }
                guard Double.random(in: 0..<1, using: &random.generator) < random.rate else { return nil }
                return random.kinds.randomElement(using: &random.generator)
            }
            var fault = state.faults[index]
            fault.count -= 1
            if fault.count == 0 { state.faults.remove(at: index) } else { state.faults[index] = fault }
            return fault
        }
    }

    // MARK: Internals

    private func change(
        _ id: String, kind: SimulatorChange.Kind,
        _ body: (inout SimulatedConversation, Timestamp) throws(SimulatorError) -> Void
    ) throws(SimulatorError) -> SimulatorChange {
        let at = now()
        return try state.withLock { state throws(SimulatorError) in
            guard var conversation = state.conversations[id], !conversation.deleted else { throw .unknownConversation(id) }
            try body(&conversation, at)
            return Self.record(&state, conversation, kind: kind, at: at)
        }
    }

    @discardableResult
    private static func record(
        _ state: inout State, _ conversation: SimulatedConversation, kind: SimulatorChange.Kind, at: Timestamp
    ) -> SimulatorChange {
        var conversation = conversation
        conversation.changedAt = at
        if state.conversations.updateValue(conversation, forKey: conversation.id) == nil { state.order.append(conversation.id) }
        let change = SimulatorChange(number: state.changes.count + 1, at: at, conversationID: conversation.id, kind: kind, conversation: conversation)
        state.changes.append(change)
        return change
    }

    private static func makeConversation(_ state: inout State, at: Timestamp, id: String? = nil) -> SimulatedConversation {
        let number = state.nextConversation
        state.nextConversation += 1
        let digits = String(number)
        let padded = String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        let startedSecondsAgo = Int64.random(in: 0...1800, using: &state.random)
        return SimulatedConversation(
            id: id ?? "conv-\(padded)",
            roomID: "room-\(padded)",
            state: "active",
            startAt: at.adding(milliseconds: -startedSecondsAgo * 1000),
            userID: "user-\(padded)",
            userName: "User \(padded)",
            userReferenceID: "ref-\(padded)",
            botID: "bot-1",
            botName: "Asistente",
            channel: channels.randomElement(using: &state.random)!,
            companyID: "company-1",
            origin: "ticket",
            number: number,
            changedAt: at
        )
    }

    /// The next step of the scripted lifecycle; returns what kind of change it was.
    @discardableResult
    private static func applyStep(_ conversation: inout SimulatedConversation, at: Timestamp, random: inout SplitMix64) -> SimulatorChange.Kind {
        defer { conversation.scriptStep += 1 }
        switch conversation.scriptStep {
        case 0:
            conversation.operatorName = operators.randomElement(using: &random)
            conversation.teamName = teams.randomElement(using: &random)
            conversation.timeRepliedOperator = Int64.random(in: 5_000...120_000, using: &random)
            return .assigned
        case 1:
            conversation.state = "closed"
            conversation.endAt = at
            conversation.endedReason = "closed_by_operator"
            return .closed
        case 2:
            conversation.endedReason = "closed_by_user"
            return .endedReasonChanged
        case 3:
            conversation.state = "active"
            conversation.endAt = nil
            conversation.endedReason = nil
            return .reopened
        case 4:
            conversation.state = "resolved"
            conversation.endAt = at
            conversation.endedReason = "closed_by_user"
            return .closed
        default:
            conversation.deleted = true
            return .deleted
        }
    }
}
