import ConvoBridgeCore

extension BridgeConfiguration.Coordination {
    /// The `coordination` section, each default the type's own.
    init(reader: ConfigReader, at path: String) {
        let keys = ConfigSection(reader, path, keys: ConfigurationLoader.CoordinationKey.self)
        let mode = reader.string(keys[.mode], default: "standalone")
        switch mode {
        case "standalone":
            self = .standalone
        case "kafka":
            let defaults = KafkaGroup()
            let group = KafkaGroup(
                groupID: reader.string(keys[.groupID], default: defaults.groupID),
                partitions: reader.int(keys[.partitions], default: defaults.partitions, range: 1...1000),
                watchTopic: reader.string(keys[.watchTopic], default: defaults.watchTopic),
                stateTopic: reader.string(keys[.stateTopic], default: defaults.stateTopic),
                handoffTopic: reader.string(keys[.handoffTopic], default: defaults.handoffTopic),
                replicaID: reader.string(keys[.replicaID], default: defaults.replicaID),
                sessionTimeout: reader.duration(keys[.sessionTimeout], default: defaults.sessionTimeout),
                staticMembership: reader.bool(keys[.staticMembership], default: defaults.staticMembership))
            for (key, value) in [(ConfigurationLoader.CoordinationKey.groupID, group.groupID), (.replicaID, group.replicaID)]
            where value.isEmpty || value.utf8.count > 200 || value.contains(where: { $0.isWhitespace }) {
                reader.problem(keys[key], "must be 1 to 200 characters without spaces")
            }
            if group.watchTopic == group.stateTopic {
                reader.problem(keys[.stateTopic], "must differ from watch_topic (\(group.watchTopic))")
            }
            if group.handoffTopic == group.watchTopic || group.handoffTopic == group.stateTopic {
                reader.problem(keys[.handoffTopic], "must differ from watch_topic and state_topic (\(group.handoffTopic))")
            }
            if group.sessionTimeout < .seconds(6) || group.sessionTimeout > .seconds(300) {
                reader.problem(keys[.sessionTimeout], "must be between 6s and 300s (the broker's group.min/max.session.timeout.ms)")
            }
            self = .kafka(group)
        default:
            reader.problem(keys[.mode], "must be standalone or kafka, found \(JSONWriter.string(.string(String(mode.prefix(40)))))")
            self = .standalone
        }
    }
}
