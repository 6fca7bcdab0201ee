import NIOSSL

/// Why one exchange on a pooled HTTP/1.1 connection did not produce a complete answer.
enum HTTP1TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The URL cannot be sent (the reason, never the URL itself: its query may hold a key).
    case invalidURL(String)
    /// The deadline passed before the last byte of the answer.
    case deadlinePassed
    /// The body grew past the caller's limit; the connection is closed rather than drained.
    case responseTooLarge(limit: Int)
    /// The connection closed before the answer was complete; `answerStarted` is false when not one byte of it
    /// came, which on a reused keep-alive connection usually means the server closed it while it was idle.
    case connectionClosed(answerStarted: Bool)
    /// The connection could not be opened, or TLS or the HTTP codec failed on it.
    case connectionFailed(String)
    /// The host resolved to an address the pool may not connect to (loopback, private, link-local…).
    case destinationRefused(String)

    var description: String {
        switch self {
        case .invalidURL(let reason): "invalid URL: \(reason)"
        case .deadlinePassed: "deadline passed"
        case .responseTooLarge(let limit): "response larger than \(limit) bytes"
        case .connectionClosed(let started): started ? "connection closed in the middle of the answer" : "connection closed before any answer"
        case .connectionFailed(let reason): reason
        case .destinationRefused(let reason): reason
        }
    }
}

extension HTTP1TransportError {
    /// A TLS failure in words an operator can act on (BoringSSL's own text names source files and error numbers).
    static func tls(_ error: NIOSSLError) -> HTTP1TransportError {
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return .connectionFailed("TLS handshake failed: the platform's certificate is not trusted by this machine, or does not name the host")
        }
        if case .handshakeFailed = error { return .connectionFailed("TLS handshake failed") }
        return .connectionFailed("TLS failed: \(error)")
    }
}
