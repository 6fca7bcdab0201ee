// Coverage-guided fuzzing (libFuzzer) of the whole way bytes from outside go through ConvoBridgeCore: the JSON
// parser; each platform's conversation, list and webhook readers; the merge, the diff and the encoding of the events
// and the state record (both content modes, trimming included), read back; the time, time-span and Retry-After
// readers. Built and run by scripts/fuzz.sh; `swift test` runs the bounded, deterministic variant
// (DecoderFuzzTests). Any crash, hang or sanitizer report is a bug; the reader's own error is the right answer.

import ConvoBridgeCore
import ConvoBridgeTestSupport
import FuzzDriver

runFuzzer(fuzzDecoders)

func fuzzDecoders(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = fuzzInput(start, count)
    WholePayloadPath.run(text: String(decoding: bytes, as: UTF8.self))
    guard let json = try? JSONParser.parse(bytes) else { return 0 }
    _ = JSONWriter.encode(json)
    _ = WholePayloadPath.run(json)
    return 0
}
