import Crypto

/// SHA-256 of a webhook body: how a delivery sent again is recognised.
public enum BodyDigest {
    public static func sha256(_ body: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: body))
    }
}
