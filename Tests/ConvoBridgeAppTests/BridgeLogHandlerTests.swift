import ConvoBridgeApp
import ConvoBridgeCore
import Foundation
import Logging
import Synchronization
import Testing

@Suite("Log handler: human and JSON lines, secrets masked")
struct BridgeLogHandlerTests {
    final class Lines: Sendable {
        let storage = Mutex<[String]>([])
        var all: [String] { storage.withLock { $0 } }
    }

    static func logger(_ format: LogFormat, _ lines: Lines, level: Logger.Level = .info) -> Logger {
        let redactor = SecretRedactor(secrets: ["s3cr3t-api-key", "hunter22"])
        return Logger(label: "convobridge") { label in
            BridgeLogHandler(
                label: label, level: level, format: format, redactor: redactor,
                now: { Timestamp(millisecondsSinceEpoch: 1_763_791_200_123) }
            ) { line in lines.storage.withLock { $0.append(line) } }
        }
    }

    @Test("JSON: one object per line with ts, level, logger, msg and the metadata; secrets masked everywhere")
    func json() throws {
        let lines = Lines()
        var logger = Self.logger(.json, lines)
        logger[metadataKey: "source"] = "jelou-prod"
        logger.warning("request failed: x-api-key s3cr3t-api-key refused", metadata: ["reason": "password hunter22\nnext line", "attempt": "2"])
        logger.debug("not at this level")
        #expect(lines.all.count == 1)
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("\n") && line.dropLast().firstIndex(of: "\n") == nil, "exactly one line, even with a newline in a value")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(
            object == [
                "ts": "2025-11-22T06:00:00.123Z", "level": "warning", "logger": "convobridge",
                "msg": "request failed: x-api-key [REDACTED] refused", "reason": "password [REDACTED]\nnext line",
                "attempt": "2", "source": "jelou-prod",
            ])
    }

    @Test("Human: time, level, label, message, then key=value in key order; secrets masked")
    func human() throws {
        let lines = Lines()
        let logger = Self.logger(.human, lines)
        logger.info("polled with hunter22", metadata: ["z": "last", "a": "s3cr3t-api-key"])
        #expect(lines.all == ["2025-11-22T06:00:00.123Z info convobridge: polled with [REDACTED] a=[REDACTED] z=last\n"])
    }

    @Test("Human: a control character in a platform value cannot forge a line")
    func humanControlCharacters() throws {
        let lines = Lines()
        let logger = Self.logger(.human, lines)
        logger.info("assigned to Ana\n2025-11-22T06:00:00.123Z error convobridge: forged", metadata: ["name": "a\r\u{1b}[31mb\tc"])
        #expect(
            lines.all == [
                #"2025-11-22T06:00:00.123Z info convobridge: assigned to Ana\n2025-11-22T06:00:00.123Z error convobridge: forged name=a\r\u{1b}[31mb\tc"#
                    + "\n"
            ])
    }

    @Test("A metadata key cannot replace the standard JSON fields")
    func reservedKeys() throws {
        let lines = Lines()
        Self.logger(.json, lines).info("real message", metadata: ["msg": "forged", "level": "critical"])
        let line = try #require(lines.all.first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["msg"] == "real message" && object["level"] == "info")
    }
}
