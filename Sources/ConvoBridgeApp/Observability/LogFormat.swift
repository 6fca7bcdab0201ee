/// How `convobridge` writes its logs to standard error.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-22T06:00:00.123Z info convobridge: message key=value …`, for people.
    case human
    /// One JSON object per line (`ts`, `level`, `logger`, `msg`, then the metadata), for log pipelines.
    case json
}
