/// A binary min-heap of (due time, conversation) pairs, for the scheduler. Entries are never updated in place: a
/// rescheduled conversation gets a new entry with a new generation, and the old one is skipped when it surfaces
/// (lazy deletion), so every operation is O(log n).
struct DueHeap: Sendable {
    struct Node: Sendable {
        var dueAt: Int64
        var generation: UInt64
        var conversationID: String

        func precedes(_ other: Node) -> Bool {
            dueAt != other.dueAt ? dueAt < other.dueAt : generation < other.generation
        }
    }

    private(set) var nodes: [Node] = []

    var isEmpty: Bool { nodes.isEmpty }
    var count: Int { nodes.count }
    var top: Node? { nodes.first }

    mutating func push(_ node: Node) {
        nodes.append(node)
        var child = nodes.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard nodes[child].precedes(nodes[parent]) else { break }
            nodes.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func pop() -> Node? {
        guard !nodes.isEmpty else { return nil }
        nodes.swapAt(0, nodes.count - 1)
        let popped = nodes.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < nodes.count && nodes[left].precedes(nodes[first]) { first = left }
            if right < nodes.count && nodes[right].precedes(nodes[first]) { first = right }
            guard first != parent else { break }
            nodes.swapAt(parent, first)
            parent = first
        }
        return popped
    }

    /// Rebuilds the heap from `live` nodes only, when stale ones outnumber them (keeps memory bounded).
    mutating func compact(keeping isLive: (Node) -> Bool) {
        let live = nodes.filter(isLive)
        nodes = []
        nodes.reserveCapacity(live.count)
        for node in live { push(node) }
    }
}
