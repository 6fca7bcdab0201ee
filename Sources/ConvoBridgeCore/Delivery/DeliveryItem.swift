/// One event of the events topic, ready to POST: the CloudEvent in structured JSON mode, and what ordering,
/// filtering, offsets and metrics need of it.
public struct DeliveryItem: Sendable, Hashable {
    /// Where it was read: the commit point after it is done. A replayed item has no offset: it commits nothing.
    public var partition: Int32
    public var offset: Int64?
    /// The record key, `{source}/{conversation_id}`: events of one key are delivered in order.
    public var conversationKey: String
    /// `ce_id`, sent as `webhook-id`, so a receiver can drop a re-delivery.
    public var eventID: String
    public var type: String
    /// The configured source name (`ce_source` without its `/sources/` prefix).
    public var source: String
    public var sequence: Int64?
    /// The event's time (`ce_time`, else the record's timestamp), for the delivery latency and the oldest-pending age.
    public var time: Timestamp?
    /// `application/cloudevents+json`: the whole event.
    public var body: [UInt8]

    public init(
        partition: Int32, offset: Int64?, conversationKey: String, eventID: String, type: String, source: String,
        sequence: Int64?, time: Timestamp?, body: [UInt8]
    ) {
        self.partition = partition
        self.offset = offset
        self.conversationKey = conversationKey
        self.eventID = eventID
        self.type = type
        self.source = source
        self.sequence = sequence
        self.time = time
        self.body = body
    }

    /// Why a record of the events topic cannot be delivered (it is counted and skipped: it is not an event of the
    /// contract, and no retry would change that).
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case tombstone
        case missingAttribute(String)
        case dataNotJSON(String)
        case tooLarge(Int)

        public var description: String {
            switch self {
            case .tombstone: "a record without a value"
            case .missingAttribute(let name): "no \(name) attribute"
            case .dataNotJSON(let why): "its value is not JSON (\(why))"
            case .tooLarge(let size): "\(size) bytes, over the 16 MiB a delivery may carry"
            }
        }
    }

    static let maximumBodyBytes = 16 << 20

    /// Reads a record in either content mode (``EventContentMode``): binary (`ce_*` headers, the value is the data)
    /// or structured (the value is the whole event, sent as it is).
    public init(
        partition: Int32, offset: Int64?, key: [UInt8]?, value: [UInt8]?, headers: [OutboundRecord.Header], timestamp: Int64?
    ) throws(Problem) {
        guard let value else { throw .tombstone }
        guard value.count <= Self.maximumBodyBytes else { throw .tooLarge(value.count) }
        let attributes: [String: String]
        let body: [UInt8]
        if headers.text(of: "content-type")?.hasPrefix("application/cloudevents+json") == true {
            let envelope: JSONValue
            do { envelope = try JSONParser.parse(value) } catch { throw .dataNotJSON(error.description) }
            guard let object = envelope.objectValue else { throw .dataNotJSON("not an object") }
            attributes = Dictionary(
                object.members.compactMap { member in member.value.scalarText.map { (member.key, $0) } }, uniquingKeysWith: { first, _ in first })
            body = value
        } else {
            do { _ = try JSONParser.parse(value) } catch { throw .dataNotJSON(error.description) }
            var named: [String: String] = [:]
            var writer = JSONWriter(reservingCapacity: value.count + 512)
            writer.writeRaw("{".utf8)
            for header in headers where header.name.hasPrefix("ce_") {
                let name = String(header.name.dropFirst(3))
                guard !name.isEmpty, named[name] == nil else { continue }
                let text = String(decoding: header.value, as: UTF8.self)
                named[name] = text
                writer.writeString(name)
                writer.writeRaw(":".utf8)
                writer.writeString(text)
                writer.writeRaw(",".utf8)
            }
            writer.writeString("datacontenttype")
            writer.writeRaw(":".utf8)
            writer.writeString(headers.text(of: "content-type") ?? "application/json")
            writer.writeRaw(",\"data\":".utf8)
            writer.writeRaw(value)
            writer.writeRaw("}".utf8)
            attributes = named
            body = writer.bytes
        }
        guard let id = attributes["id"], !id.isEmpty else { throw .missingAttribute("id") }
        guard let type = attributes["type"], !type.isEmpty else { throw .missingAttribute("type") }
        let ceSource = attributes["source"] ?? ""
        let source = ceSource.hasPrefix("/sources/") ? String(ceSource.dropFirst("/sources/".count)) : ceSource
        let time = attributes["time"].flatMap { Timestamp(iso8601: $0) } ?? timestamp.map { Timestamp(millisecondsSinceEpoch: $0) }
        self.init(
            partition: partition, offset: offset,
            conversationKey: key.map { String(decoding: $0, as: UTF8.self) } ?? attributes["partitionkey"] ?? attributes["subject"] ?? id,
            eventID: id, type: type, source: source, sequence: attributes["sequence"].flatMap { Int64($0) }, time: time, body: body)
    }
}
