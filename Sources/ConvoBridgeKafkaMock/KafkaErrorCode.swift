import Crdkafka

/// A Kafka protocol or librdkafka error code, for fault injection into the embedded cluster.
///
/// Wraps librdkafka's number so callers never import the C module.
public struct KafkaErrorCode: RawRepresentable, Sendable, Hashable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let notLeaderForPartition = KafkaErrorCode(rawValue: 6)
    public static let requestTimedOut = KafkaErrorCode(rawValue: 7)
    public static let networkException = KafkaErrorCode(rawValue: 13)
    public static let notEnoughReplicas = KafkaErrorCode(rawValue: 19)
    /// librdkafka's local transport failure (`_TRANSPORT`).
    public static let transport = KafkaErrorCode(rawValue: -195)

    /// By librdkafka's name (`NOT_LEADER_FOR_PARTITION`, `_TRANSPORT`; any case, the underscore optional) or number;
    /// nil for anything librdkafka does not list.
    public init?(name: String) {
        let number = Int32(name)
        let wanted = name.uppercased().drop { $0 == "_" }
        var descriptions: UnsafePointer<rd_kafka_err_desc>?
        var count = 0
        rd_kafka_get_err_descs(&descriptions, &count)
        guard let descriptions else { return nil }
        for index in 0..<count {
            guard let cName = descriptions[index].name else { continue }
            let code = descriptions[index].code.rawValue
            if code == number || (number == nil && String(cString: cName).drop(while: { $0 == "_" }) == wanted) {
                self.init(rawValue: code)
                return
            }
        }
        return nil
    }

    /// librdkafka's name for the code (`NOT_LEADER_FOR_PARTITION`, `_TRANSPORT`).
    public var name: String {
        rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: rawValue)).map { String(cString: $0) } ?? "\(rawValue)"
    }
}
