/// The support platform a conversation lives on.
public enum Platform: String, Sendable, Hashable, CaseIterable, Codable {
    case jelou
    case chatvolt
    case zild
}
