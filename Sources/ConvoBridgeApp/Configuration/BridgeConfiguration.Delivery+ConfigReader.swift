import ConvoBridgeCore
import ConvoBridgeSigning

extension BridgeConfiguration.Delivery {
    /// The `webhooks` section; nil when absent. Each default is the type's own. Every problem goes to `reader`.
    init?(reader: ConfigReader, at path: String) {
        guard reader.node(path) != nil else { return nil }
        let keys = ConfigSection(reader, path, keys: ConfigurationLoader.DeliveryKey.self)
        let defaults = Self(subscriptions: [])
        var schedule = defaults.schedule
        if let node = reader.node(keys[.retrySchedule]) {
            if let items = node.arrayValue, !items.isEmpty, items.count <= 20 {
                var delays: [Duration] = []
                for (index, item) in items.enumerated() {
                    guard let text = item.scalarText, let delay = ConfigReader.parseDuration(text), delay >= .zero else {
                        reader.problem(
                            "\(keys[.retrySchedule])[\(index)]", "expected a duration like 5s, 5m or 2h, found \(item.scalarText ?? "a non-scalar")")
                        continue
                    }
                    delays.append(delay)
                }
                schedule.delays = delays
            } else {
                reader.problem(keys[.retrySchedule], "expected a list of 1 to 20 durations (the waits before each retry), e.g. [5s, 5m, 30m]")
            }
        }
        reader.record(keys[.retrySchedule], schedule.delays.map(ConfigReader.formatDuration).joined(separator: ", "))
        schedule.maxRetryAfter = reader.duration(keys[.maxRetryAfter], default: schedule.maxRetryAfter)
        var subscriptions: [Subscription] = []
        let count = reader.node(keys[.subscriptions])?.arrayValue?.count ?? 0
        if count == 0 { reader.problem(keys[.subscriptions], "at least one subscription (name, url, secret_env or secret_file) is required") }
        for index in 0..<count {
            if let subscription = Subscription(reader: reader, at: "\(keys[.subscriptions])[\(index)]") { subscriptions.append(subscription) }
        }
        var names: Set<String> = []
        for (index, subscription) in subscriptions.enumerated() where !names.insert(subscription.name).inserted {
            reader.problem("\(keys[.subscriptions])[\(index)].name", "\(subscription.name) is used by another subscription; names must be unique")
        }
        self.init(
            subscriptions: subscriptions,
            groupID: reader.string(keys[.groupID], default: defaults.groupID),
            deadLetterTopic: reader.string(keys[.deadLetterTopic], default: defaults.deadLetterTopic),
            schedule: schedule,
            maxPending: reader.int(keys[.maxPending], default: defaults.maxPending, range: 10...10_000_000),
            commitInterval: reader.duration(keys[.commitInterval], default: defaults.commitInterval))
    }
}

extension BridgeConfiguration.Delivery.Subscription {
    init?(reader: ConfigReader, at path: String) {
        typealias Key = ConfigurationLoader.SubscriptionKey
        let keys = ConfigSection(reader, path, keys: Key.self)
        let name = reader.requiredString(keys[.name], hint: "a name for this subscription, e.g. crm")
        if !name.isEmpty, !(name.utf8.count <= 64 && name.utf8.allSatisfy(ConfigurationLoader.isNameByte)) {
            reader.problem(keys[.name], "use at most 64 letters, digits, '-', '_' or '.', found \(name.debugDescription)")
        }
        let url = reader.requiredString(keys[.url], hint: "the receiver's https:// URL")
        ConfigurationLoader.checkURL(
            reader, keys[.url], url, allowInsecureHTTP: reader.bool(keys[.allowInsecureHTTP], default: false),
            sending: "conversation events", on: "the subscription")
        var signingSecrets: [String] = []
        for key in [Key.secret, .previousSecret] {
            guard let secret = reader.secret(path, key: key.rawValue, required: key == .secret) else { continue }
            do {
                _ = try StandardWebhookSigner.key(of: secret)
                signingSecrets.append(secret)
            } catch {
                reader.problem(keys[key], "\(error)")
            }
        }
        var types: [EventTypePattern] = []
        for (index, item) in (reader.node(keys[.types])?.arrayValue ?? []).enumerated() {
            do {
                types.append(try EventTypePattern(item.stringValue ?? ""))
            } catch {
                reader.problem("\(keys[.types])[\(index)]", error.description)
            }
        }
        if reader.node(keys[.types]) != nil, reader.node(keys[.types])?.arrayValue == nil {
            reader.problem(keys[.types], "expected a list of event types, e.g. [conversation.closed, conversation.*]")
        }
        reader.record(keys[.types], types.isEmpty ? "every type" : types.map(\.text).joined(separator: ", "))
        let sources = (reader.node(keys[.sources])?.arrayValue ?? []).compactMap(\.stringValue)
        reader.record(keys[.sources], sources.isEmpty ? "every source" : sources.joined(separator: ", "))
        var secrets = signingSecrets
        var headers: [(name: String, value: String)] = []
        func addHeader(_ headerPath: String, _ name: String, _ value: String) {
            if Self.reservedHeaders.contains(name.lowercased()) {
                reader.problem(headerPath, "\(name) is set by the deliverer and cannot be replaced")
            } else if name.isEmpty || !name.utf8.allSatisfy({ ConfigurationLoader.isNameByte($0) && $0 != UInt8(ascii: ".") }) {
                reader.problem(headerPath, "a header name is letters, digits, '-' and '_'")
            } else if value.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) {
                reader.problem(headerPath, "a header value cannot hold control characters (CR, LF…)")
            } else {
                headers.append((name, value))
            }
        }
        for member in reader.node(keys[.headers])?.objectValue?.members ?? [] {
            let headerPath = "\(keys[.headers]).\(member.key)"
            guard let value = member.value.scalarText else {
                reader.problem(headerPath, "expected a text value")
                continue
            }
            if SecretRedactor.isSecretKey(member.key) {
                reader.problem(
                    headerPath, "secrets are not accepted as values; list it under \(keys[.secretHeadersEnv]) with an environment variable name")
                continue
            }
            addHeader(headerPath, member.key, value)
            reader.record(headerPath, value)
        }
        for member in reader.node(keys[.secretHeadersEnv])?.objectValue?.members ?? [] {
            let headerPath = "\(keys[.secretHeadersEnv]).\(member.key)"
            guard let variable = member.value.stringValue, let value = reader.environment[variable], !value.isEmpty else {
                reader.problem(headerPath, "\(member.value.scalarText ?? "?") is not set")
                continue
            }
            addHeader(headerPath, member.key, value)
            secrets.append(value)
            reader.record("\(keys[.headers]).\(member.key)", EffectiveSetting.mask, origin: .secret("from $\(variable)"))
        }
        let defaults = (timeout: Self.defaultTimeout, concurrency: Self.defaultConcurrency)
        let timeout = reader.duration(keys[.timeout], default: defaults.timeout)
        let concurrency = reader.int(keys[.concurrency], default: defaults.concurrency, range: 1...1000)
        let allowPrivate = reader.bool(keys[.allowPrivateNetwork], default: false)
        guard !name.isEmpty, !url.isEmpty, !signingSecrets.isEmpty, let signer = try? StandardWebhookSigner(secrets: signingSecrets)
        else { return nil }
        self.init(
            name: name, url: url, signer: signer, secrets: secrets, filter: SubscriptionFilter(types: types, sources: Set(sources)),
            headers: headers, timeout: timeout, concurrency: concurrency, allowPrivateNetwork: allowPrivate)
    }
}
