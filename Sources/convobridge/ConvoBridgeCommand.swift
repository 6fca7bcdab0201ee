import ArgumentParser

@main
struct ConvoBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convobridge",
        abstract: "Turns chat platforms' conversation status into CloudEvents on Kafka.",
        subcommands: [
            RunCommand.self, DeliverCommand.self, CheckConfigCommand.self, StatusCommand.self, WatchCommand.self, QuarantineCommand.self,
            TailCommand.self, SchemaCommand.self, WebhookVerifyCommand.self,
        ],
        // Development: the simulator, the mock cluster and the benchmarks. `demo` is the quick start's.
        groupedSubcommands: [
            CommandGroup(
                name: "Development",
                subcommands: [
                    DemoCommand.self, SimulateCommand.self, KafkaDevCommand.self,
                    BenchPublisherCommand.self, BenchSimulatorCommand.self,
                ])
        ]
    )
}
