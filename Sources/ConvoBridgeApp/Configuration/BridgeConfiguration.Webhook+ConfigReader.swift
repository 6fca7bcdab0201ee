import ConvoBridgeCore
import ConvoBridgeServer
import ConvoBridgeSigning

extension BridgeConfiguration.Webhook {
    /// Jelou: `signing_secret_*` (HMAC in `X-Jelou-Signature`). Chatvolt and Zild: `secret_*` in `header`, compared as
    /// a shared secret, or `verify: hmac_sha256` for a signature in that header.
    static func decode(_ reader: ConfigReader, _ path: String, platform: Platform, name: String) -> Self? {
        guard reader.node(path) != nil else { return nil }
        let keys = ConfigSection(reader, path, keys: ConfigurationLoader.WebhookKey.self) { $0.applies(to: platform) }
        let webhookPath = reader.string(keys[.path], default: "/webhooks/\(name)")
        var format = WebhookEventFormat.for(platform)
        if let idPath = reader.string(keys[.conversationIDPath]) { format = format.withConversationIDPath(idPath) }
        // Only Jelou's payloads carry their time.
        let window = platform == .jelou ? reader.duration(keys[.replayWindow], default: WebhookEndpoint.defaultReplayWindow) : nil
        let rememberFor = reader.duration(
            keys[.rememberFor],
            default: Self.defaultRememberFor(replayWindow: window.flatMap { $0 > .zero ? $0 : nil }))
        func webhook(_ verification: WebhookVerification, _ secret: String) -> Self {
            .init(
                path: webhookPath, verification: verification, format: format, secret: secret,
                replayWindow: window.flatMap { $0 > .zero ? $0 : nil }, rememberFor: rememberFor)
        }
        if platform == .jelou {
            guard let secret = reader.secret(path, key: ConfigurationLoader.WebhookKey.signingSecret.rawValue, required: true) else { return nil }
            return webhook(.hmacSHA256(header: WebhookSignature.jelouHeader, WebhookSignature(secret: secret)), secret)
        }
        let header = reader.string(keys[.header], default: "X-Webhook-Secret")
        let verify = reader.string(keys[.verify], default: "shared_secret")
        guard let secret = reader.secret(path, key: ConfigurationLoader.WebhookKey.secret.rawValue, required: true) else { return nil }
        switch verify {
        case "shared_secret": return webhook(.sharedSecret(header: header, secret: secret), secret)
        case "hmac_sha256": return webhook(.hmacSHA256(header: header, WebhookSignature(secret: secret)), secret)
        default:
            reader.problem(keys[.verify], "expected shared_secret or hmac_sha256, found \(verify)")
            return nil
        }
    }
}
