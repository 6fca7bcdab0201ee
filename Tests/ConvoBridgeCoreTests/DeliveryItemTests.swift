import ConvoBridgeCore
import Testing

@Suite("Delivery items: a Kafka record of either content mode as a structured CloudEvent; addresses a subscriber may use")
struct DeliveryItemTests {
    static let event = CloudEventEncoderTests.event

    @Test("Binary and structured records of the same event give the same attributes, and a body that is the whole event")
    func bothModes() throws {
        for mode in EventContentMode.allCases {
            let encoder = CloudEventEncoder(configuration: .init(contentMode: mode))
            let record = encoder.eventRecord(Self.event)
            let item = try DeliveryItem(
                partition: 3, offset: 42, key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp)
            #expect(item.eventID == Self.event.id)
            #expect(item.type == Self.event.type.rawValue)
            #expect(item.source == Self.event.source)
            #expect(item.sequence == Self.event.sequence)
            #expect(item.conversationKey == Self.event.key)
            #expect(item.time == Self.event.observedAt)
            let body = try JSONParser.parse(item.body)
            #expect(body["id"]?.stringValue == Self.event.id)
            #expect(body["specversion"]?.stringValue == "1.0")
            #expect(body["subject"]?.stringValue == Self.event.conversationID)
            #expect(body["data"]?.objectValue != nil, "\(mode)")
        }
    }

    @Test("Records that are no event are refused with the reason")
    func refusals() {
        #expect(throws: DeliveryItem.Problem.tombstone) {
            try DeliveryItem(partition: 0, offset: 0, key: nil, value: nil, headers: [], timestamp: nil)
        }
        #expect(throws: DeliveryItem.Problem.missingAttribute("id")) {
            try DeliveryItem(partition: 0, offset: 0, key: nil, value: Array("{}".utf8), headers: [], timestamp: nil)
        }
        #expect(throws: DeliveryItem.Problem.self) {
            try DeliveryItem(
                partition: 0, offset: 0, key: nil, value: Array("{\"a\":".utf8), headers: [.init(name: "ce_id", value: "x")], timestamp: nil)
        }
    }

    @Test("Header values with quotes, control and invalid UTF-8 bytes still make valid JSON")
    func hostileHeaders() throws {
        let item = try DeliveryItem(
            partition: 0, offset: 0, key: [0xFF, 0xFE], value: Array("[1]".utf8),
            headers: [
                .init(name: "ce_id", value: "a\"b\\c\u{01}"), .init(name: "ce_type", value: [0xC3, 0x28]),
                .init(name: "ce_time", value: "99999-99-99"),
            ], timestamp: Int64.min)
        let body = try JSONParser.parse(item.body)
        #expect(body["id"]?.stringValue == "a\"b\\c\u{01}")
        #expect(item.time == Timestamp(millisecondsSinceEpoch: .min))
    }

    @Test("Loopback, private, link-local and mapped forms are not public; ordinary addresses are")
    func destinations() {
        let notPublic: [[UInt8]] = [
            [127, 0, 0, 1], [10, 1, 2, 3], [172, 16, 0, 1], [172, 31, 255, 255], [192, 168, 1, 1], [169, 254, 169, 254],
            [100, 64, 0, 1], [0, 0, 0, 0], [224, 0, 0, 1], [255, 255, 255, 255],
            Array(repeating: 0, count: 15) + [1], Array(repeating: 0, count: 16),
            [0xFE, 0x80] + Array(repeating: 0, count: 14), [0xFD, 0x12] + Array(repeating: 0, count: 14),
            Array(repeating: 0, count: 10) + [0xFF, 0xFF, 127, 0, 0, 1], [1, 2, 3],
        ]
        for address in notPublic { #expect(!DestinationAddress.isPublic(address), "\(address)") }
        let publicOnes: [[UInt8]] = [
            [8, 8, 8, 8], [172, 32, 0, 1], [100, 128, 0, 1], [0x26, 0x06, 0x47, 0x00] + Array(repeating: 0, count: 11) + [1],
            Array(repeating: 0, count: 10) + [0xFF, 0xFF, 1, 1, 1, 1],
        ]
        for address in publicOnes { #expect(DestinationAddress.isPublic(address), "\(address)") }
    }
}
