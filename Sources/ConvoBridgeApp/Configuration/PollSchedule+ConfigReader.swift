import ConvoBridgeCore

extension PollSchedule {
    /// A source's `schedule` section, each default the type's own (`vanish_after` is the source's, read there).
    init(reader: ConfigReader, at path: String) {
        let scheduleKeys = ConfigSection(reader, path, keys: ConfigurationLoader.ScheduleKey.self)
        let scheduleDefaults = Self()
        self.init(
            openInterval: reader.duration(scheduleKeys[.openInterval], default: scheduleDefaults.openInterval),
            closedInterval: reader.duration(scheduleKeys[.closedInterval], default: scheduleDefaults.closedInterval),
            closedGrace: reader.duration(scheduleKeys[.closedGrace], default: scheduleDefaults.closedGrace),
            notFoundRecheck: reader.duration(scheduleKeys[.notFoundRecheck], default: scheduleDefaults.notFoundRecheck),
            failureBackoff: reader.duration(scheduleKeys[.failureBackoff], default: scheduleDefaults.failureBackoff),
            maxFailureBackoff: reader.duration(scheduleKeys[.maxFailureBackoff], default: scheduleDefaults.maxFailureBackoff),
            jitter: reader.double(scheduleKeys[.jitter], default: scheduleDefaults.jitter, minimum: 0)
        )
    }
}
