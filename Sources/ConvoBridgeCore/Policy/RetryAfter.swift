/// Reads an HTTP `Retry-After` value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
public enum RetryAfter {
    /// The delay the server asks for, measured from `now`; nil when the value is neither form.
    /// A date in the past means "now" (zero).
    public static func delay(from value: String, now: Timestamp) -> Duration? {
        let text = value.trimmingSpaces
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // Any count of seconds is a valid value; past a year it is clamped (callers cap it much lower) so no
            // arithmetic on it can overflow.
            let seconds = text.utf8.count > 12 ? Self.maximumSeconds : min(Int64(text) ?? Self.maximumSeconds, Self.maximumSeconds)
            return .seconds(seconds)
        }
        guard let date = httpDate(text) else { return nil }
        let milliseconds = date.millisecondsSinceEpoch - now.millisecondsSinceEpoch
        return .milliseconds(min(max(0, milliseconds), Self.maximumSeconds * 1000))
    }

    /// A year: the longest delay this reader returns.
    public static let maximumSeconds: Int64 = 366 * 86_400

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The IMF-fixdate form, `Sun, 06 Nov 1994 08:49:37 GMT`, the only one senders may generate.
    static func httpDate(_ text: String) -> Timestamp? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
            let day = Int64(parts[1]), let monthIndex = months.firstIndex(of: String(parts[2])),
            parts[3].utf8.count == 4, let year = Int64(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int64(clock[0]), let minute = Int64(clock[1]), let second = Int64(clock[2]),
            (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let days = Timestamp.days(fromCivilYear: year, month: Int64(monthIndex + 1), day: day)
        return Timestamp(millisecondsSinceEpoch: (days * 86_400 + hour * 3600 + minute * 60 + second) * 1000)
    }
}

extension String {
    var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first == " " || slice.first == "\t" { slice.removeFirst() }
        while slice.last == " " || slice.last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
