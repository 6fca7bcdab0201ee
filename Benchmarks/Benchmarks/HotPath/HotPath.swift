import Benchmark
import ConvoBridgeCore

/// One snapshot through the hot path, per platform: the payload's bytes parsed, normalized, merged onto the previous
/// snapshot, diffed into events, and every event and the state record encoded as Kafka records. Successive
/// iterations alternate two versions of the conversation, so each one yields transitions (the costly case).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 1_000_000
    )

    for platform in HotPathPayloads.all {
        Benchmark("snapshot: decode + normalize + diff + encode (\(platform.name))") { benchmark in
            let tracker = ConversationTracker(encoder: CloudEventEncoder())
            var tracked = TrackedConversation(source: "bench", conversationID: platform.conversationID)
            var records = 0
            for iteration in benchmark.scaledIterations {
                let bytes = platform.versions[iteration & 1]
                let observed = try platform.normalize(try JSONParser.parse(bytes))
                let observation = Observation(source: "bench", id: "o", observedAt: Timestamp(millisecondsSinceEpoch: 1_768_474_800_000 + Int64(iteration)),
                                              raw: observed.raw)
                let result = tracker.apply(.observed(observed), to: tracked, observation: observation)
                tracked = result.tracked
                records += result.records.count
            }
            blackHole(records)
        }
    }

    // The steady state of polling: the same answer again, so no event and nothing to encode.
    for platform in HotPathPayloads.all {
        Benchmark("snapshot unchanged: decode + normalize + diff (\(platform.name))") { benchmark in
            let tracker = ConversationTracker(encoder: CloudEventEncoder())
            let first = try platform.normalize(try JSONParser.parse(platform.versions[0]))
            let observation = Observation(source: "bench", id: "o", observedAt: Timestamp(millisecondsSinceEpoch: 1_768_474_800_000), raw: nil)
            let tracked = tracker.apply(.observed(first), to: TrackedConversation(source: "bench", conversationID: platform.conversationID),
                                        observation: observation).tracked
            for _ in benchmark.scaledIterations {
                let observed = try platform.normalize(try JSONParser.parse(platform.versions[0]))
                blackHole(tracker.apply(.observed(observed), to: tracked, observation: observation).records.count)
            }
        }
    }

    // The parts of the Jelou path on their own, to see where the time goes.
    Benchmark("part: normalize (Jelou)") { benchmark in
        let json = try JSONParser.parse(HotPathPayloads.jelou.versions[1])
        for _ in benchmark.scaledIterations {
            blackHole(try JelouConversationPayload.observation(from: json))
        }
    }

    Benchmark("part: diff (Jelou, open → closed)") { benchmark in
        let before = try JelouConversationPayload.observation(from: JSONParser.parse(HotPathPayloads.jelou.versions[0])).snapshot
        let after = try JelouConversationPayload.observation(from: JSONParser.parse(HotPathPayloads.jelou.versions[1])).snapshot
        let observation = Observation(source: "bench", id: "o", observedAt: Timestamp(millisecondsSinceEpoch: 0), raw: nil)
        for _ in benchmark.scaledIterations {
            blackHole(SnapshotDiff.events(from: before, to: after, observation: observation, nextSequence: 2))
        }
    }

    Benchmark("part: encode the events and the state record (Jelou, open → closed)") { benchmark in
        let before = try JelouConversationPayload.observation(from: JSONParser.parse(HotPathPayloads.jelou.versions[0])).snapshot
        let after = try JelouConversationPayload.observation(from: JSONParser.parse(HotPathPayloads.jelou.versions[1]))
        let observation = Observation(source: "bench", id: "o", observedAt: Timestamp(millisecondsSinceEpoch: 0), raw: after.raw)
        let events = SnapshotDiff.events(from: before, to: after.snapshot, observation: observation, nextSequence: 2)
        let encoder = CloudEventEncoder()
        for _ in benchmark.scaledIterations {
            for event in events { blackHole(encoder.eventRecord(event)) }
            blackHole(encoder.stateRecord(source: "bench", conversationID: after.conversationID, snapshot: after.snapshot))
        }
    }

    Benchmark("JSON parse only (Jelou Get Conversation)") { benchmark in
        let bytes = HotPathPayloads.jelou.versions[0]
        for _ in benchmark.scaledIterations {
            blackHole(try JSONParser.parse(bytes))
        }
    }
}
