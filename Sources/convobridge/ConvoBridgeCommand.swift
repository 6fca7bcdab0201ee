import ArgumentParser

@main
struct ConvoBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convobridge",
        abstract: "Turns chat platforms' conversation status into CloudEvents on Kafka.",
        subcommands: [RunCommand.self, CheckConfigCommand.self, StatusCommand.self, WatchCommand.self, QuarantineCommand.self, DemoCommand.self, SimulateCommand.self, KafkaDevCommand.self, TailCommand.self, SchemaCommand.self, BenchPublisherCommand.self, BenchSimulatorCommand.self]
    )
}
