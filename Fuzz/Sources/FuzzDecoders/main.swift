// Coverage-guided fuzzing (libFuzzer) of everything in ConvoBridgeCore that reads bytes from outside: the JSON
// parser, each platform's payload and webhook readers, and the time parsers. Built and run by scripts/fuzz.sh;
// `swift test` runs the bounded, deterministic variant (DecoderFuzzTests). Any crash, hang or sanitizer report is a
// bug; the reader's own error is the right answer.

import ConvoBridgeCore
import FuzzDriver

runFuzzer(fuzzDecoders)

func fuzzDecoders(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = fuzzInput(start, count)
    let text = String(decoding: bytes, as: UTF8.self)
    _ = Timestamp(iso8601: text)?.rfc3339
    _ = DotNetTimeSpan.milliseconds(text)
    guard let json = try? JSONParser.parse(bytes) else { return 0 }
    _ = JSONWriter.encode(json)
    _ = try? JelouConversationPayload.observation(from: json)
    _ = try? JelouAdvisorPage(body: json, requestedPage: 1)
    _ = try? ChatvoltConversationPayload.observation(from: json)
    _ = try? ZildConversationPayload.observation(from: json, endedReasonLabels: [1: "closed_by_operator"])
    for format in [WebhookEventFormat.jelou, .chatvolt, .zild] {
        _ = try? format.nativeEvent(from: json)
    }
    return 0
}
