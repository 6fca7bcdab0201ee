/// Parses .NET `TimeSpan` text as ASP.NET serializes it: `[-][d.]hh:mm:ss[.fffffff]` (`"00:05:12"`,
/// `"1.02:03:04.5"`), into milliseconds. Nil for anything else, more than `TimeSpan.MaxValue`'s days included.
public enum DotNetTimeSpan {
    public static func milliseconds(_ text: String) -> Int64? {
        var rest = Substring(text)
        let negative = rest.hasPrefix("-")
        if negative { rest = rest.dropFirst() }
        let clock = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3 else { return nil }
        var days: Int64 = 0
        var hoursText = clock[0]
        if let dot = hoursText.firstIndex(of: ".") {
            // .NET's own limit is 10,675,199 days (TimeSpan.MaxValue); more would overflow milliseconds below.
            guard let parsedDays = Int64(hoursText[..<dot]), (0...10_675_199).contains(parsedDays) else { return nil }
            days = parsedDays
            hoursText = hoursText[hoursText.index(after: dot)...]
        }
        let secondsParts = clock[2].split(separator: ".", omittingEmptySubsequences: false)
        guard secondsParts.count <= 2, let hours = Int64(hoursText), let minutes = Int64(clock[1]),
            let seconds = Int64(secondsParts[0]), (0..<24).contains(hours), (0..<60).contains(minutes), (0..<60).contains(seconds),
            hoursText.count == 2, clock[1].count == 2, secondsParts[0].count == 2
        else { return nil }
        var fraction: Int64 = 0
        if secondsParts.count == 2 {
            let digits = secondsParts[1]
            guard (1...7).contains(digits.count), digits.allSatisfy(\.isNumber), digits.allSatisfy(\.isASCII) else { return nil }
            // Milliseconds: the first three digits, padded with zeros (the rest is below a millisecond).
            let milliseconds = String(digits.prefix(3)) + String(repeating: "0", count: max(0, 3 - digits.count))
            guard let value = Int64(milliseconds) else { return nil }
            fraction = value
        }
        let total = ((days * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000 + fraction
        return negative ? -total : total
    }
}
