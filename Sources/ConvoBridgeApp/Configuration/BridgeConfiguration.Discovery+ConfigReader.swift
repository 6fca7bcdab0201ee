import ConvoBridgeCore

extension BridgeConfiguration.Discovery {
    /// `lookback`, `overlap`, `max_span`, `page_size`, `max_pages` and `interval` of a list endpoint's walk.
    init(reader: ConfigReader, at path: String, pageSize: (default: Int, range: ClosedRange<Int>)) {
        func key(_ key: ConfigurationLoader.WindowKey) -> String { ConfigReader.join(path, key.rawValue) }
        let defaults = Self(pageSize: pageSize.default)
        self.init(
            interval: reader.duration(key(.interval), default: defaults.interval),
            window: SlidingWindow(
                lookback: reader.duration(key(.lookback), default: defaults.window.lookback),
                overlap: reader.duration(key(.overlap), default: defaults.window.overlap),
                maxSpan: reader.duration(key(.maxSpan), default: defaults.window.maxSpan)),
            pageSize: reader.int(key(.pageSize), default: defaults.pageSize, range: pageSize.range),
            maxPages: reader.int(key(.maxPages), default: defaults.maxPages, range: 1...100_000)
        )
    }
}
