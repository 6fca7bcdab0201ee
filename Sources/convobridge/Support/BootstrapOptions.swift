import ArgumentParser
import Foundation

/// Where to find Kafka: `--bootstrap host:port[,…]` or `--bootstrap-file F` (as written by `kafka-dev`).
struct BootstrapOptions: ParsableArguments {
    @Option(help: "Kafka bootstrap servers, host:port[,host:port…].")
    var bootstrap: String?

    @Option(help: "A file holding the bootstrap servers (as written by 'convobridge kafka-dev --bootstrap-file').")
    var bootstrapFile: String?

    func resolve() throws -> String {
        if let bootstrap { return bootstrap }
        if let bootstrapFile {
            guard let text = try? String(contentsOfFile: bootstrapFile, encoding: .utf8) else {
                throw ValidationError("--bootstrap-file \(bootstrapFile): cannot read the file")
            }
            let servers = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !servers.isEmpty else { throw ValidationError("--bootstrap-file \(bootstrapFile): the file is empty") }
            return servers
        }
        if let fromEnvironment = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        throw ValidationError("say where Kafka is: --bootstrap host:port, --bootstrap-file F, or KAFKA_BOOTSTRAP_SERVERS")
    }
}
