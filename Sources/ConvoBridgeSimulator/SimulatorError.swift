/// A control-API request the simulator cannot carry out.
public enum SimulatorError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownConversation(String)
    case conversationExists(String)
    case invalidTransition(conversationID: String, reason: String)

    public var description: String {
        switch self {
        case .unknownConversation(let id): "no conversation \(id)"
        case .conversationExists(let id): "conversation \(id) already exists"
        case .invalidTransition(let id, let reason): "conversation \(id): \(reason)"
        }
    }
}
