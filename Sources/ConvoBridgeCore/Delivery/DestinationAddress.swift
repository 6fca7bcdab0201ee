/// Whether an IP address a webhook subscriber's host resolved to is on the public internet, or one of the ranges a
/// server-side request forgery aims at: loopback, private networks (RFC 1918, unique local), link-local (cloud
/// metadata at 169.254.169.254), carrier-grade NAT, unspecified, multicast, reserved, documentation, and IPv6 forms
/// that carry such an IPv4 address (mapped, NAT64).
public enum DestinationAddress {
    /// `bytes`: 4 (IPv4) or 16 (IPv6) bytes in network order. Anything else is not public.
    public static func isPublic(_ bytes: [UInt8]) -> Bool {
        switch bytes.count {
        case 4: return isPublicIPv4(bytes[0], bytes[1], bytes[2], bytes[3])
        case 16: return isPublicIPv6(bytes)
        default: return false
        }
    }

    private static func isPublicIPv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> Bool {
        switch (a, b) {
        case (0, _), (10, _), (127, _): return false
        case (100, 64...127): return false  // carrier-grade NAT
        case (169, 254): return false  // link-local, cloud metadata
        case (172, 16...31): return false
        case (192, 168): return false
        case (198, 18...19): return false  // benchmarking
        case (224...255, _): return false  // multicast, reserved, broadcast
        case (192, 0) where c == 0 || c == 2: return false  // IETF protocol assignments, TEST-NET-1
        case (198, 51) where c == 100, (203, 0) where c == 113: return false  // TEST-NET-2, -3
        default: return true
        }
    }

    private static func isPublicIPv6(_ bytes: [UInt8]) -> Bool {
        let first = bytes[0]
        if bytes[0..<15].allSatisfy({ $0 == 0 }) { return false }  // :: and ::1
        if first == 0xFF { return false }  // multicast
        if first & 0xFE == 0xFC { return false }  // fc00::/7 unique local
        if first == 0xFE, bytes[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
        if first == 0xFE, bytes[1] & 0xC0 == 0xC0 { return false }  // fec0::/10 site-local (deprecated)
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {  // ::ffff:a.b.c.d
            return isPublicIPv4(bytes[12], bytes[13], bytes[14], bytes[15])
        }
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return false }  // ::a.b.c.d (deprecated compatible)
        if bytes[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] {  // 64:ff9b::/96 NAT64
            return isPublicIPv4(bytes[12], bytes[13], bytes[14], bytes[15])
        }
        if bytes[0..<4] == [0x20, 0x01, 0x0D, 0xB8] { return false }  // documentation
        if bytes[0..<8] == [0x01, 0, 0, 0, 0, 0, 0, 0] { return false }  // 100::/64 discard
        return true
    }
}
