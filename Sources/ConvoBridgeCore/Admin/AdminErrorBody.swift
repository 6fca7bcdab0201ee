/// Every admin answer that is not a success: `{"error": "…"}`, worded for the operator.
public struct AdminErrorBody: Codable, Sendable, Hashable {
    public var error: String

    public init(error: String) { self.error = error }
}
