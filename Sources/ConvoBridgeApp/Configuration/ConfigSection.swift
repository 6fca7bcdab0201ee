/// One mapping of the configuration file and the keys it accepts, given as an enum: the reads name their key
/// through it, and the unknown-key check lists the same cases, so a key cannot be read under one spelling and
/// accepted under another.
struct ConfigSection<Key: RawRepresentable & CaseIterable> where Key.RawValue == String {
    let path: String

    /// Refuses, on `reader`, the keys of the mapping at `path` that are not among `Key`'s cases that `accepted`
    /// lets through (a platform's own keys), nor `alsoKnown` (keys of a shared table read by a helper).
    init(
        _ reader: ConfigReader, _ path: String, keys: Key.Type, alsoKnown: [String] = [], accepting accepted: (Key) -> Bool = { _ in true }
    ) {
        self.path = path
        reader.rejectUnknownKeys(path, known: Set(Key.allCases.filter(accepted).map(\.rawValue) + alsoKnown))
    }

    /// The full path of `key` in this section.
    subscript(_ key: Key) -> String { ConfigReader.join(path, key.rawValue) }
}
