/// One setting as the bridge will use it, for `convobridge check-config`: the value after defaults and environment
/// overrides, and where it came from. A secret's value is never kept, only how it is referenced.
public struct EffectiveSetting: Sendable, Equatable {
    public enum Origin: Sendable, Equatable, CustomStringConvertible {
        case file
        case defaultValue
        /// Overridden by `CONVOBRIDGE_<KEY_PATH>`.
        case environment(String)
        /// A secret read from an environment variable or file; the value is masked.
        case secret(String)

        public var description: String {
            switch self {
            case .file: "file"
            case .defaultValue: "default"
            case .environment(let variable): "env \(variable)"
            case .secret(let reference): reference
            }
        }
    }

    public static let mask = "********"

    public var path: String
    public var value: String
    public var origin: Origin

    public init(path: String, value: String, origin: Origin) {
        self.path = path
        self.value = value
        self.origin = origin
    }
}
