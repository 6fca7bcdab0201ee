import ConvoBridgeCore

extension BridgeConfiguration.Server {
    /// The `server` section; nil when it has no `listen` (no listener at all). Every problem goes to `reader`.
    init?(reader: ConfigReader, at path: String) {
        let serverKeys = ConfigSection(reader, path, keys: ConfigurationLoader.ServerKey.self)
        guard let listen = ConfigurationLoader.address(reader, serverKeys[.listen]) else { return nil }
        var limits = Self.Limits()
        limits.idleTimeout = reader.duration(serverKeys[.idleTimeout], default: limits.idleTimeout)
        limits.headerTimeout = reader.duration(serverKeys[.headerTimeout], default: limits.headerTimeout)
        limits.bodyTimeout = reader.duration(serverKeys[.bodyTimeout], default: limits.bodyTimeout)
        limits.maxConnections = reader.int(serverKeys[.maxConnections], default: limits.maxConnections, range: 1...1_000_000)
        let token = reader.secret(path, key: ConfigurationLoader.ServerKey.adminToken.rawValue, required: false)
        if let token, token.utf8.count < Self.minimumAdminTokenBytes {
            reader.problem(
                serverKeys[.adminToken],
                "is \(token.utf8.count) bytes; at least \(Self.minimumAdminTokenBytes) are required (e.g. openssl rand -hex 32)"
            )
        }
        // Not set: with the webhooks when they are on loopback (a local set-up), else on loopback of its own.
        let admin = ConfigurationLoader.address(reader, serverKeys[.adminListen]) ?? (listen.isLoopback ? nil : Self.defaultAdminAddress)
        if reader.string(serverKeys[.adminListen]) == nil && !listen.isLoopback {
            reader.record(serverKeys[.adminListen], "\(Self.defaultAdminAddress)", origin: .defaultValue)
        }
        self.init(
            host: listen.host, port: listen.port, admin: admin,
            metrics: ConfigurationLoader.address(reader, serverKeys[.metricsListen]),
            maxBodyBytes: reader.int(
                serverKeys[.maxBodyBytes], default: Self.defaultMaxBodyBytes, range: 1024...(16 << 20)),
            adminToken: token, limits: limits)
    }
}
