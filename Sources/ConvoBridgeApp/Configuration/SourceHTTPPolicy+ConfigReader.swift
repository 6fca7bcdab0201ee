import ConvoBridgeCore
import ConvoBridgeHTTP

extension SourceHTTPPolicy {
    /// A source's `http` section, each default the type's own.
    init(reader: ConfigReader, at path: String) {
        let httpKeys = ConfigSection(reader, path, keys: ConfigurationLoader.HTTPKey.self)
        let httpDefaults = Self()
        self.init(
            requestsPerSecond: reader.double(httpKeys[.requestsPerSecond], default: httpDefaults.requestsPerSecond, minimum: 0.01),
            burst: reader.int(httpKeys[.burst], default: httpDefaults.burst, range: 1...10_000),
            maxConcurrentRequests: reader.int(httpKeys[.maxConcurrent], default: httpDefaults.maxConcurrentRequests, range: 1...256),
            requestTimeout: reader.duration(httpKeys[.timeout], default: httpDefaults.requestTimeout),
            maxResponseBytes: reader.int(httpKeys[.maxResponseBytes], default: httpDefaults.maxResponseBytes, range: 1024...(256 << 20)),
            retry: RetryPolicy(
                maxAttempts: reader.int(httpKeys[.maxAttempts], default: httpDefaults.retry.maxAttempts, range: 1...20),
                maxRetryAfter: reader.duration(httpKeys[.maxRetryAfter], default: httpDefaults.retry.maxRetryAfter)),
            authFailureThreshold: reader.int(httpKeys[.authFailureThreshold], default: httpDefaults.authFailureThreshold, range: 1...100),
            authProbeInterval: reader.duration(httpKeys[.authProbeInterval], default: httpDefaults.authProbeInterval)
        )
    }
}
