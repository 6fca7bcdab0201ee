public import ConvoBridgeCore

/// Deterministic mutation of valid inputs for bounded fuzzing in `swift test`: a seeded generator, so a failure
/// names an iteration that reproduces it.
public struct ByteMutator: Sendable {
    /// Tokens spliced into inputs: the ones that break naive parsers (quotes, escapes, nesting, huge numbers,
    /// NUL, astral characters, out-of-range dates, YAML indicators).
    public static let defaultTokens: [[UInt8]] = [
        "\"", "\\", "{", "}", "[", "]", ":", ",", "null", "-0.5e", "\\u00", "\u{0}", "\u{1F600}",
        "9999999999999999999999", "\"00:00:00.1234567\"", "\"2026-13-45T25:61:61Z\"", "[[[[[[[[",
        "\n  ", "\t", "- ", "&a ", "*a", "!!binary ", "? ", "|", ">", "#", "%", "'",
    ].map { Array($0.utf8) }

    private var random: SplitMix64
    private let tokens: [[UInt8]]

    public init(seed: UInt64, tokens: [[UInt8]] = ByteMutator.defaultTokens) {
        self.random = SplitMix64(seed: seed)
        self.tokens = tokens
    }

    /// `base` with one to four random edits: a byte replaced, removed or duplicated, a chunk cut, or a token spliced in.
    public mutating func mutate(_ base: [UInt8]) -> [UInt8] {
        var bytes = base
        for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes.remove(at: at)
            case 2: bytes.insert(bytes[at], at: at)
            case 3: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...64, using: &random)))
            default: bytes.insert(contentsOf: tokens.randomElement(using: &random)!, at: at)
            }
        }
        return bytes
    }

    /// A number in `range`, from the same sequence.
    public mutating func next(in range: Range<Int>) -> Int { Int.random(in: range, using: &random) }
}
