/// Which events a subscription receives: by type (any of `types`; none listed means every type) and by source (any of
/// `sources`, the configured source names; none listed means every source).
public struct SubscriptionFilter: Sendable, Hashable {
    public var types: [EventTypePattern]
    public var sources: Set<String>

    public init(types: [EventTypePattern] = [], sources: Set<String> = []) {
        self.types = types
        self.sources = sources
    }

    public func matches(type: String, source: String) -> Bool {
        (sources.isEmpty || sources.contains(source)) && (types.isEmpty || types.contains { $0.matches(type) })
    }
}
