/// The offsets of a partition done (delivered or dead-lettered) beyond its commit point, carried in the commit's
/// metadata so that whoever reads the partition next — this process after a `kill -9`, or another after a
/// rebalance — skips them instead of delivering them again.
///
/// Form: `cbdone1:` then comma-separated offsets or ranges, as distances from the commit point (`2-4,10`). Bounded
/// to `maximumBytes` (the broker's `offset.metadata.max.bytes` is 4096 by default): what does not fit is left out,
/// which only means those events are delivered again.
public enum DoneOffsets {
    public static let prefix = "cbdone1:"
    public static let maximumBytes = 3000
    /// The most offsets one metadata string may stand for when read (hostile or corrupt metadata cannot make a
    /// reader allocate without end).
    public static let maximumOffsets = 1_000_000

    /// `done`: offsets above `commitPoint`, in any order.
    public static func encode(_ done: some Collection<Int64>, above commitPoint: Int64) -> String {
        var text = prefix
        var ranges: [(Int64, Int64)] = []
        for offset in done.sorted() where offset > commitPoint {
            let distance = offset - commitPoint
            if let last = ranges.last, last.1 + 1 == distance {
                ranges[ranges.count - 1].1 = distance
            } else {
                ranges.append((distance, distance))
            }
        }
        for (index, range) in ranges.enumerated() {
            let part = (index == 0 ? "" : ",") + (range.0 == range.1 ? "\(range.0)" : "\(range.0)-\(range.1)")
            guard text.utf8.count + part.utf8.count <= maximumBytes else { break }
            text += part
        }
        return text
    }

    /// The offsets `metadata` names above `commitPoint`; empty for metadata of another form or that does not parse.
    public static func decode(_ metadata: String?, above commitPoint: Int64) -> Set<Int64> {
        guard let metadata, metadata.hasPrefix(prefix), metadata.utf8.count <= maximumBytes + 64 else { return [] }
        var offsets: Set<Int64> = []
        for part in metadata.dropFirst(prefix.count).split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let low = Int64(bounds[0]), let high = Int64(bounds.last!), low >= 1, high >= low,
                high - low < Int64(maximumOffsets), offsets.count + Int(high - low + 1) <= maximumOffsets
            else { return [] }
            let (first, overflowLow) = commitPoint.addingReportingOverflow(low)
            let (last, overflowHigh) = commitPoint.addingReportingOverflow(high)
            guard !overflowLow, !overflowHigh else { return [] }
            for offset in first...last { offsets.insert(offset) }
        }
        return offsets
    }
}
