/// Comparisons whose time does not depend on where the inputs differ, for secrets (admin tokens, shared webhook
/// secrets): a timing difference would let an attacker guess a secret byte by byte.
public enum ConstantTime {
    public static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        let a = Array(a)
        let b = Array(b)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
