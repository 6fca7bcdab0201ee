/// The value of a record of one of the bridge's own topics (state, handoff): a JSON object with a version `v`.
enum CoordinationRecordValue {
    /// Why a value is not such an object.
    struct Problem: Error {
        var reason: String
    }

    /// The value's object, once it is JSON of `version`; `kind` names the record in the reason.
    static func object(_ value: [UInt8], version: Int, kind: String) throws(Problem) -> JSONValue {
        let json: JSONValue
        do {
            json = try JSONParser.parse(value)
        } catch {
            throw Problem(reason: "not JSON: \(error)")
        }
        guard let found = json["v"]?.int64Value, found == Int64(version) else {
            throw Problem(reason: "unknown \(kind) version \(json["v"].map { JSONWriter.string($0) } ?? "none")")
        }
        return json
    }
}
