public import ConvoBridgeKafka

/// A fault to inject into an ``EmbeddedKafkaCluster``, read from one line of text: `convobridge kafka-dev` takes them
/// on standard input so that scripts (and people) can take brokers down and make requests fail while clients run.
///
/// ```
/// down [BROKER|all]                      take brokers down (connections close, new ones are refused)
/// up [BROKER|all]                        bring them back
/// errors produce|fetch|metadata NAME[,NAME…] [xCOUNT]
///                                        the next requests of that type fail with these errors, in order
/// rtt BROKER|all MILLISECONDS            delay every response
/// ```
/// Error names are librdkafka's (`NOT_LEADER_FOR_PARTITION`, `REQUEST_TIMED_OUT`, `_TRANSPORT`, …, any case, the
/// leading underscore optional) or numbers.
public enum EmbeddedClusterCommand: Sendable, Hashable {
    case down(broker: Int32?)
    case up(broker: Int32?)
    case requestErrors(KafkaAPI, [KafkaErrorCode])
    case roundTripTime(broker: Int32?, milliseconds: Int)

    public static let usage = "down [BROKER|all] | up [BROKER|all] | errors produce|fetch|metadata NAME[,NAME...] [xCOUNT] | rtt BROKER|all MS"

    /// Parses one command line; the error says what is wrong with it.
    public init(parsing line: String) throws(KafkaError) {
        let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
        func failure(_ problem: String) -> KafkaError {
            KafkaError(code: .embeddedCluster, message: "'\(line)': \(problem); commands: \(Self.usage)")
        }
        func broker(_ word: String?) throws(KafkaError) -> Int32? {
            guard let word, word.lowercased() != "all" else { return nil }
            guard let id = Int32(word), id >= 1 else { throw failure("\(word) is not a broker id (1, 2, … or all)") }
            return id
        }
        switch words.first?.lowercased() {
        case "down"?:
            guard words.count <= 2 else { throw failure("down takes at most a broker id") }
            self = .down(broker: try broker(words.dropFirst().first))
        case "up"?:
            guard words.count <= 2 else { throw failure("up takes at most a broker id") }
            self = .up(broker: try broker(words.dropFirst().first))
        case "rtt"?:
            guard words.count == 3, let milliseconds = Int(words[2]), milliseconds >= 0 else {
                throw failure("rtt takes a broker id (or all) and milliseconds")
            }
            self = .roundTripTime(broker: try broker(words[1]), milliseconds: milliseconds)
        case "errors"?:
            guard words.count == 3 || words.count == 4 else { throw failure("errors takes a request type and error names") }
            let api: KafkaAPI =
                switch words[1].lowercased() {
                case "produce": .produce
                case "fetch": .fetch
                case "metadata": .metadata
                default: throw failure("\(words[1]) is not a request type (produce, fetch, metadata)")
                }
            var codes: [KafkaErrorCode] = []
            for name in words[2].split(separator: ",") {
                guard let code = KafkaErrorCode(name: String(name)) else { throw failure("\(name) is not a Kafka error name or number") }
                codes.append(code)
            }
            var repeats = 1
            if words.count == 4 {
                guard words[3].hasPrefix("x"), let count = Int(words[3].dropFirst()), (1...100_000).contains(count) else {
                    throw failure("\(words[3]) is not a repeat count like x10")
                }
                repeats = count
            }
            self = .requestErrors(api, Array(repeating: codes, count: repeats).flatMap { $0 })
        default:
            throw failure("unknown command")
        }
    }

    /// Applies the command; returns what was done, for the log.
    @discardableResult
    public func apply(to cluster: EmbeddedKafkaCluster) throws -> String {
        func brokers(_ id: Int32?) -> [Int32] { id.map { [$0] } ?? (1...Int32(cluster.brokerCount)).map { $0 } }
        switch self {
        case .down(let id):
            for broker in brokers(id) { try cluster.setBrokerDown(broker) }
            return "broker(s) \(brokers(id).map(String.init).joined(separator: ",")) down"
        case .up(let id):
            for broker in brokers(id) { try cluster.setBrokerUp(broker) }
            return "broker(s) \(brokers(id).map(String.init).joined(separator: ",")) up"
        case .roundTripTime(let id, let milliseconds):
            for broker in brokers(id) { try cluster.setRoundTripTime(broker: broker, milliseconds: milliseconds) }
            return "broker(s) \(brokers(id).map(String.init).joined(separator: ",")) answer \(milliseconds) ms late"
        case .requestErrors(let api, let codes):
            cluster.pushRequestErrors(api, codes)
            return "the next \(codes.count) \(api) request(s) fail: \(Set(codes.map(\.name)).sorted().joined(separator: ", "))"
        }
    }
}
