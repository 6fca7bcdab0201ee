/// Jelou's error envelope, in either documented shape, reduced to what an operator needs to read in a log line:
/// `{message: string, statusMessage, status, error{code, key, description, …}, validationError}` (gateway) or
/// `{code, description}` (legacy api.jelou.ai).
public struct JelouErrorBody: Sendable, Hashable, CustomStringConvertible {
    public var code: String?
    public var message: String?

    public init(code: String?, message: String?) {
        self.code = code
        self.message = message
    }

    /// nil when the body is not one of the two shapes.
    public init?(body: JSONValue) {
        let reader = PayloadReader(context: "jelou error", root: body)
        let code = (try? reader.string("error.code")) ?? (try? reader.string("error.key")) ?? (try? reader.string("code"))
        let message = (try? reader.string("error.description")) ?? (try? reader.string("description")) ?? Self.message(in: body)
        guard code != nil || message != nil else { return nil }
        self.init(code: code, message: message)
    }

    /// `message` is a string in the error schema and an array of strings in the success schema.
    private static func message(in body: JSONValue) -> String? {
        switch body["message"] {
        case .string(let text)?: text
        case .array(let items)?: items.compactMap(\.stringValue).joined(separator: "; ")
        default: nil
        }
    }

    public var description: String {
        switch (code, message) {
        case let (code?, message?): "\(code): \(message)"
        case let (code?, nil): code
        case let (nil, message?): message
        case (nil, nil): "no details"
        }
    }
}
