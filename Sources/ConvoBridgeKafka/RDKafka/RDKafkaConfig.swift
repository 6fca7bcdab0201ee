import ConvoBridgeCore
package import Crdkafka

/// Builds a librdkafka configuration object from string properties, naming the property that fails.
package enum RDKafkaConfig {
    /// A new `rd_kafka_conf_t` owned by the caller (consumed by `rd_kafka_new` on success only).
    package static func make(_ properties: [(String, String)]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .clientCreation, message: "rd_kafka_conf_new returned nothing")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in properties {
            let result = rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                let reason = string(buffer: errorText)
                // librdkafka's reason can quote the value; never show a secret property's value.
                let shown = SecretRedactor.isSecretKey(name) ? SecretRedactor(secrets: [value]).redact(reason) : reason
                throw KafkaError(code: .invalidConfiguration, message: "property '\(name)': \(shown)")
            }
        }
        return conf
    }

    package static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }

    /// The text of a NUL-terminated buffer librdkafka filled.
    package static func string(buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    package static func errorName(_ code: rd_kafka_resp_err_t) -> String {
        string(rd_kafka_err2str(code))
    }
}
