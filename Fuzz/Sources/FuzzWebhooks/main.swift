// Coverage-guided fuzzing (libFuzzer) of the webhook receiver's checks. An input is `<header value>\n<body>`:
// - as an HMAC-SHA256 signature header, it verifies exactly when it is the body's digest (leading spaces and the hex
//   digits' case aside; `sha256=` as it is), which a forger cannot produce: any other acceptance is a bug;
// - the body's genuine signature always verifies, and the accepted body is then read the way the receiver reads
//   it, in each platform's format and with the header line as a configured `conversation_id_path`;
// - as a shared-secret header, it passes exactly when it is the secret.
// A crash, a hang, a sanitizer report or a broken rule (`broken rule: …` on standard error) is a finding. `swift test`
// runs the bounded, deterministic variant (WebhookVerificationFuzzTests).

import ConvoBridgeCore
import ConvoBridgeServer
import ConvoBridgeSigning
import FuzzDriver

private let secret = "whsec-0123456789abcdef"
private let signature = WebhookSignature(secret: secret)
private let signed = WebhookVerification.hmacSHA256(header: "X-Jelou-Signature", signature)
private let shared = WebhookVerification.sharedSecret(header: "X-Hook", secret: secret)

runFuzzer(fuzzWebhooks)

func fuzzWebhooks(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = fuzzInput(start, count)
    let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
    let header = String(decoding: bytes[..<newline], as: UTF8.self)
    let body = Array(bytes[min(newline + 1, bytes.endIndex)...])

    let genuine = signature.sign(body)
    let forged = signed.failure(header: header, body: body)
    // The prefix exactly as sent (`sha256=`), the hex digits in either case.
    let trimmed = header.drop { $0 == " " }
    let sameDigest = trimmed.hasPrefix(WebhookSignature.prefix) && WebhookSignature.prefix + trimmed.dropFirst(WebhookSignature.prefix.count).lowercased() == genuine
    require((forged == nil) == sameDigest, "a signature header verified a body it was not made for")
    require(forged.map { !$0.isEmpty } ?? true, "a refusal without a reason")
    require(signed.failure(header: genuine, body: body) == nil, "a genuine signature was refused")
    require(signed.failure(header: nil, body: body) != nil, "a missing signature header was accepted")
    require((shared.failure(header: header, body: body) == nil) == (header == secret), "a wrong shared secret passed")

    guard let json = try? JSONParser.parse(body) else { return 0 }
    for format in [WebhookEventFormat.jelou, .chatvolt, .zild] {
        for reading in [format, format.withConversationIDPath(header)] {
            if let event = try? reading.nativeEvent(from: json) {
                require(!event.conversationID.isEmpty && !event.name.isEmpty, "an event without a name or a conversation")
            }
        }
    }
    return 0
}
