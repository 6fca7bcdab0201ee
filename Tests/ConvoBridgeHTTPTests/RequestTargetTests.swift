import Testing

@testable import ConvoBridgeHTTP

/// How a URL is split into the origin a connection is pooled by and the target on the request line.
@Suite("Request targets")
struct RequestTargetTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var url: String
        var scheme: HTTPOrigin.Scheme
        var host: String
        var port: Int
        var target: String
        var hostHeader: String
        var testDescription: String { url }
    }

    @Test(
        "Accepted URLs split into scheme, host, port and target",
        arguments: [
            Case(
                url: "http://127.0.0.1:8080/a/b?c=d", scheme: .http, host: "127.0.0.1", port: 8080, target: "/a/b?c=d", hostHeader: "127.0.0.1:8080"),
            Case(
                url: "https://gateway.jelou.ai/jelouapi/v1", scheme: .https, host: "gateway.jelou.ai", port: 443, target: "/jelouapi/v1",
                hostHeader: "gateway.jelou.ai"),
            Case(url: "HTTP://Example.com", scheme: .http, host: "Example.com", port: 80, target: "/", hostHeader: "Example.com"),
            Case(url: "http://example.com?q=1#frag", scheme: .http, host: "example.com", port: 80, target: "/?q=1", hostHeader: "example.com"),
            Case(url: "http://[::1]:9000/x#y", scheme: .http, host: "::1", port: 9000, target: "/x", hostHeader: "[::1]:9000"),
            Case(url: "https://[2001:db8::1]/p", scheme: .https, host: "2001:db8::1", port: 443, target: "/p", hostHeader: "[2001:db8::1]"),
            Case(
                url: "http://host.example:80/é/ü?name=ñ", scheme: .http, host: "host.example", port: 80, target: "/é/ü?name=ñ",
                hostHeader: "host.example"),
        ])
    func accepted(_ example: Case) throws {
        let target = try RequestTarget(url: example.url)
        #expect(target.origin.scheme == example.scheme)
        #expect(target.origin.host == example.host)
        #expect(target.origin.port == example.port)
        #expect(target.pathAndQuery == example.target)
        #expect(target.origin.hostHeader == example.hostHeader)
    }

    @Test(
        "Refused URLs name what is wrong",
        arguments: [
            ("ftp://127.0.0.1/a", "scheme ftp is neither http nor https"),
            ("127.0.0.1/a", "no scheme"),
            ("http:/127.0.0.1/a", "no scheme"),
            ("http://", "no host"),
            ("http://:80/a", "no host"),
            ("http://h:0/a", "port is not a number from 1 to 65535"),
            ("http://h:123456/a", "port is not a number from 1 to 65535"),
            ("http://h:8x/a", "port is not a number from 1 to 65535"),
            ("http://[::1]x/a", "characters after the IPv6 address"),
            ("http://a@b/c", "credentials in the URL are not supported"),
            ("é://h/a", "scheme é is neither http nor https"),
        ])
    func refused(url: String, reason: String) {
        #expect(throws: HTTP1TransportError.invalidURL(reason)) { try RequestTarget(url: url) }
    }
}
