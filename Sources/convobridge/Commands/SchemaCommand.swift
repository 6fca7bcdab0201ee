import ArgumentParser
import ConvoBridgeCore

/// `convobridge schema`: prints the contract's JSON Schemas, as published in `deploy/schemas/v1/`.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the event contract's JSON Schemas (2020-12): of an event type's data, the envelope, the state value.",
        discussion: """
            Without --type, prints every schema as one JSON object keyed by its path under deploy/schemas/v1/.
            --type takes an event type (conversation.closed; a forwarded platform event such as jelou.message gets \
            the native schema), or envelope, state or snapshot.
            """
    )

    @Option(help: "An event type, or envelope, state, snapshot.")
    var type: String?

    @Flag(help: "List the schemas: path and $id.")
    var list = false

    func run() throws {
        if list {
            for document in ContractSchemas.documents {
                let id = (try? JSONParser.parse(document.text))?["$id"]?.stringValue ?? "?"
                Console.printLine("\(Console.column(document.path, 44)) \(id)")
            }
            return
        }
        guard let type else {
            var bundle = JSONObject()
            for document in ContractSchemas.documents { bundle.append(document.path, try JSONParser.parse(document.text)) }
            Console.printLine(JSONWriter.string(.object(bundle)))
            return
        }
        guard let document = ContractSchemas.documents.first(where: { $0.path == Self.path(ofType: type) }) else {
            throw ValidationError(
                "no schema for '\(type)': expected an event type such as conversation.closed or jelou.message, "
                    + "or envelope, state, snapshot")
        }
        Console.printLine(document.text.hasSuffix("\n") ? String(document.text.dropLast()) : document.text)
    }

    /// Where the schema of `type` is: `data/{type}.json` for a derived type, `data/native.json` for a forwarded
    /// platform event, `{type}.json` for the envelope, state and snapshot.
    static func path(ofType type: String) -> String {
        if ["envelope", "state", "snapshot"].contains(type) { return "\(type).json" }
        let eventType = EventType(rawValue: type)
        if eventType.isDerived { return "data/\(type).json" }
        let platform = type.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
        return Platform(rawValue: platform) != nil && type.count > platform.count + 1 ? "data/native.json" : "(none)"
    }
}
