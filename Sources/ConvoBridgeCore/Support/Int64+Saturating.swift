extension Int64 {
    /// `self - other`, saturating at `.min`/`.max` instead of trapping: for times and durations that come from
    /// outside (a webhook's timestamp, a configured window), where any value may arrive.
    public func subtractingSaturated(_ other: Int64) -> Int64 {
        let (result, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return result }
        return other < 0 ? .max : .min
    }

    /// `self + other`, saturating at `.min`/`.max`: a due time far in the future stays far in the future.
    public func addingSaturated(_ other: Int64) -> Int64 {
        let (result, overflow) = addingReportingOverflow(other)
        guard overflow else { return result }
        return other < 0 ? .min : .max
    }
}
