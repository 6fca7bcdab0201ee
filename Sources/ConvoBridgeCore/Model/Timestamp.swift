/// A point in time with millisecond precision, as the contract's timestamps carry.
///
/// Formatting and parsing are done here by hand rather than through `DateFormatter`: they sit on the hot path of
/// every snapshot, and the contract fixes one output format (RFC 3339, UTC, milliseconds).
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// This instant moved by `milliseconds`, saturating at the ends of the range rather than trapping.
    public func adding(milliseconds: Int64) -> Timestamp {
        let (sum, overflow) = millisecondsSinceEpoch.addingReportingOverflow(milliseconds)
        return Timestamp(millisecondsSinceEpoch: overflow ? (milliseconds < 0 ? .min : .max) : sum)
    }

    public var description: String { rfc3339 }

    /// The contract's range: 0001-01-01T00:00:00.000Z … 9999-12-31T23:59:59.999Z (four-digit years).
    public static let contractRange: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999

    /// Whether the instant can be written as the contract's RFC 3339 text.
    public var isWithinContractRange: Bool { Self.contractRange.contains(millisecondsSinceEpoch) }

    /// `2026-01-15T10:45:02.114Z`. An instant outside ``contractRange`` (readers refuse such values; this is the last
    /// line of defence) is written as the nearest end of the range rather than trapping.
    public var rfc3339: String {
        var millis = min(max(millisecondsSinceEpoch, Self.contractRange.lowerBound), Self.contractRange.upperBound)
        var days = millis / 86_400_000
        millis -= days * 86_400_000
        if millis < 0 {
            millis += 86_400_000
            days -= 1
        }
        let (year, month, day) = Self.civil(fromDays: days)
        let hour = millis / 3_600_000
        let minute = (millis / 60_000) % 60
        let second = (millis / 1000) % 60
        let fraction = millis % 1000
        var out = [UInt8]()
        out.reserveCapacity(24)
        func digits(_ value: Int64, _ width: Int) {
            var buffer = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var rest = value
            var position = width - 1
            while position >= 0 {
                buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                position -= 1
            }
            out.append(contentsOf: buffer)
        }
        digits(year, 4)
        out.append(UInt8(ascii: "-"))
        digits(month, 2)
        out.append(UInt8(ascii: "-"))
        digits(day, 2)
        out.append(UInt8(ascii: "T"))
        digits(hour, 2)
        out.append(UInt8(ascii: ":"))
        digits(minute, 2)
        out.append(UInt8(ascii: ":"))
        digits(second, 2)
        out.append(UInt8(ascii: "."))
        digits(fraction, 3)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses ISO 8601 / RFC 3339 date-times as the platforms send them: `2026-01-15T10:45:00.000Z`,
    /// `2025-01-01T00:00:00-05:00`, `2023-11-07T05:31:56`, `2025-01-01 10:00:00`, or a bare date.
    ///
    /// A time without a zone is taken as UTC (the .NET platforms omit it for UTC values). Fractions beyond
    /// milliseconds are truncated. Returns nil for anything else.
    public init?(iso8601 text: String) {
        var utf8 = Array(text.utf8)
        guard utf8.count >= 10 else { return nil }
        var index = 0
        func number(_ width: Int) -> Int64? {
            guard index + width <= utf8.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<width {
                let byte = utf8[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
                index += 1
            }
            return value
        }
        func expect(_ character: Character) -> Bool {
            guard index < utf8.count, utf8[index] == character.asciiValue! else { return false }
            index += 1
            return true
        }
        guard let year = number(4), year >= 1, expect("-"), let month = number(2), expect("-"), let day = number(2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour: Int64 = 0
        var minute: Int64 = 0
        var second: Int64 = 0
        var millis: Int64 = 0
        var offsetMinutes: Int64 = 0
        if index < utf8.count {
            guard utf8[index] == UInt8(ascii: "T") || utf8[index] == UInt8(ascii: "t") || utf8[index] == 0x20 else {
                return nil
            }
            index += 1
            guard let h = number(2), expect(":"), let m = number(2) else { return nil }
            hour = h
            minute = m
            if expect(":") {
                guard let s = number(2) else { return nil }
                second = s
                if index < utf8.count, utf8[index] == UInt8(ascii: ".") || utf8[index] == UInt8(ascii: ",") {
                    index += 1
                    var scale: Int64 = 100
                    var digitsSeen = 0
                    while index < utf8.count, utf8[index] >= 0x30, utf8[index] <= 0x39 {
                        millis += Int64(utf8[index] - 0x30) * scale
                        scale /= 10
                        index += 1
                        digitsSeen += 1
                    }
                    guard digitsSeen > 0 else { return nil }
                }
            }
            guard hour < 24, minute < 60, second < 61 else { return nil }
            if index < utf8.count {
                let sign = utf8[index]
                if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
                    index += 1
                } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                    index += 1
                    guard let oh = number(2) else { return nil }
                    _ = expect(":")
                    guard let om = number(2), oh < 24, om < 60 else { return nil }
                    offsetMinutes = (oh * 60 + om) * (sign == UInt8(ascii: "-") ? -1 : 1)
                } else {
                    return nil
                }
            }
        }
        guard index == utf8.count else { return nil }
        utf8.removeAll()
        let days = Self.days(fromCivilYear: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        // 0001-01-01T00:00+01:00 is still year 0 in UTC: outside the range the contract can write.
        guard Self.contractRange.contains(seconds * 1000 + millis) else { return nil }
        self.millisecondsSinceEpoch = seconds * 1000 + millis
    }

    // Howard Hinnant's civil calendar algorithms (public domain), proleptic Gregorian.
    static func days(fromCivilYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
