public import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeServer
import ConvoBridgeSigning
public import ConvoBridgeSimulator

/// The bridge configuration `convobridge demo` runs: one Jelou source pointed at the simulator, fast schedules so
/// changes show within seconds, discovery through Advisor Conversations, webhooks on a loopback port.
/// `config/demo.yaml` is the same configuration as a file.
public enum DemoConfiguration {
    public static func bridge(
        simulatorURL: String, simulator: SimulatorConfiguration, bootstrapServers: String,
        storePath: String
    ) -> BridgeConfiguration {
        BridgeConfiguration(
            storePath: storePath,
            kafka: .init(
                publisher: KafkaPublisherConfiguration(bootstrapServers: bootstrapServers, shutdownDeadline: .seconds(10)),
                encoder: CloudEventEncoder.Configuration()),
            server: .init(host: "127.0.0.1", port: 0, maxBodyBytes: 256 * 1024),
            relay: .init(batchSize: 1000, maxBacklog: 100_000, drainDeadline: .seconds(10)),
            sources: [
                .init(
                    name: "jelou-demo",
                    connection: .jelou(
                        baseURL: simulatorURL + "/jelouapi", projectID: simulator.projectID, credentials: .apiKey(simulator.apiKey),
                        advisorBaseURL: simulatorURL,
                        advisorCredentials: .basic(clientID: simulator.clientID, clientSecret: simulator.clientSecret)),
                    discovery: .init(
                        interval: .seconds(3), window: SlidingWindow(lookback: .seconds(7200), overlap: .seconds(60)), pageSize: 50, maxPages: 200),
                    webhook: .init(
                        path: "/webhooks/jelou-demo",
                        verification: .hmacSHA256(header: WebhookSignature.jelouHeader, WebhookSignature(secret: simulator.signingSecret)),
                        format: .jelou, secret: simulator.signingSecret),
                    schedule: PollSchedule(
                        openInterval: .seconds(2), closedInterval: .seconds(3), closedGrace: .seconds(120),
                        notFoundRecheck: .seconds(1), failureBackoff: .seconds(1), maxFailureBackoff: .seconds(10)),
                    vanishAfterNotFound: 2,
                    http: SourceHTTPPolicy(requestsPerSecond: 200, burst: 50, maxConcurrentRequests: 8, requestTimeout: .seconds(5))
                )
            ]
        )
    }
}
