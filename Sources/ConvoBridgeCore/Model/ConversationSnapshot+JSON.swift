extension ConversationSnapshot {
    /// The snake_case JSON of the contract, every key present, in a fixed order.
    public var jsonValue: JSONValue {
        var object = JSONObject()
        for field in ContractField.topLevel { object.append(field.name, field.value(in: self)) }
        object.append("attributes", .object(attributes))
        return .object(object)
    }

    /// Reads back the JSON written by ``jsonValue`` (the store keeps snapshots this way).
    /// - Throws: ``SnapshotDecodingError`` naming the missing or malformed field.
    public init(json: JSONValue) throws(SnapshotDecodingError) {
        guard let object = json.objectValue else { throw SnapshotDecodingError(field: "(root)", problem: "not an object") }
        func string(_ key: String) -> String? { object[key]?.stringValue }
        func time(_ key: String) throws(SnapshotDecodingError) -> Timestamp? {
            guard let text = string(key) else { return nil }
            guard let value = Timestamp(iso8601: text) else {
                throw SnapshotDecodingError(field: key, problem: "not an RFC 3339 time: \(text)")
            }
            return value
        }
        guard let id = string("conversation_id") else {
            throw SnapshotDecodingError(field: "conversation_id", problem: "missing")
        }
        guard let platform = string("platform").flatMap(Platform.init(rawValue:)) else {
            throw SnapshotDecodingError(field: "platform", problem: "missing or unknown")
        }
        guard let status = string("status").flatMap(ConversationStatus.init(rawValue:)) else {
            throw SnapshotDecodingError(field: "status", problem: "missing or unknown")
        }
        self.init(conversationID: id, platform: platform, status: status)
        state = string("state")
        endedReason = string("ended_reason")
        startedAt = try time("started_at")
        endedAt = try time("ended_at")
        updatedAt = try time("updated_at")
        if let user = object["user"]?.objectValue {
            self.user = User(
                id: user["id"]?.stringValue, name: user["name"]?.stringValue,
                referenceID: user["reference_id"]?.stringValue)
        }
        if let bot = object["bot"]?.objectValue {
            self.bot = Bot(id: bot["id"]?.stringValue, name: bot["name"]?.stringValue, channel: bot["channel"]?.stringValue)
        }
        if let assignee = object["assignee"]?.objectValue {
            self.assignee = Assignee(id: assignee["id"]?.stringValue, name: assignee["name"]?.stringValue)
        }
        team = string("team")
        queue = string("queue")
        priority = string("priority")
        attributes = object["attributes"]?.objectValue ?? JSONObject()
    }
}
