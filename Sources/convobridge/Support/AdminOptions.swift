import ArgumentParser
import ConvoBridgeHTTP
import Foundation

/// Where the running bridge is and its admin token: `--url` (or `$CONVOBRIDGE_ADMIN_URL`) and `--token-file`
/// (or `$CONVOBRIDGE_ADMIN_TOKEN`). The token is never an argument, so it stays out of shell history and `ps`.
struct AdminOptions: ParsableArguments {
    @Option(
        help:
            "The bridge's admin listener (server.admin_listen, or server.listen when that is on loopback) as a URL. Default: $CONVOBRIDGE_ADMIN_URL, else http://127.0.0.1:8081."
    )
    var url: String?

    @Option(help: "A file holding the admin token. Default: the token in $CONVOBRIDGE_ADMIN_TOKEN.")
    var tokenFile: String?

    func client() throws -> AdminClient {
        let environment = ProcessInfo.processInfo.environment
        let url = url ?? environment["CONVOBRIDGE_ADMIN_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8081"
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ValidationError("--url: expected an http:// or https:// URL, found \(url)")
        }
        var token = environment["CONVOBRIDGE_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw ValidationError("--token-file \(tokenFile): cannot read the file")
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token?.isEmpty == false else { throw ValidationError("--token-file \(tokenFile): the file is empty") }
        }
        return AdminClient(baseURL: url, token: token)
    }
}

extension AdminClientError {
    /// Prints the error for the operator and ends the command with status 1.
    func exit() -> ExitCode {
        Console.printError("error: \(self)")
        return .failure
    }
}
