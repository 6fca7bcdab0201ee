import ConvoBridgeCore
import ConvoBridgeServer
import Foundation
import Hummingbird
import Logging

/// The webhook subscriptions' part of the admin API (same bearer token, same listener as ``AdminAPI``):
///
/// | method and path | does |
/// |---|---|
/// | `GET /admin/subscriptions` | each subscription: status, pending, in flight, retrying, oldest pending age |
/// | `POST /admin/subscriptions/{name}/pause`, `…/resume` | stop / restart sending (resume also re-enables after a 410) |
/// | `POST /admin/subscriptions/{name}/replay` `{"conversation": "src/id", "from": t, "to": t}` | deliver those events again |
struct SubscriptionAdminAPI: Sendable {
    let token: String
    let deliverer: WebhookDeliverer
    let metrics: BridgeMetrics
    let refusals: AdminTokenRefusals
    let now: @Sendable () -> Timestamp
    let logger: Logger

    func addRoutes(to router: Router<BasicRequestContext>) {
        let admin = router.group("admin/subscriptions").add(
            middleware: AdminBearerMiddleware(token: token, metrics: metrics, refusals: refusals, logger: logger))
        admin.get { _, _ in Response.json(.ok, deliverer.deliverers.map(summary)) }
        admin.post(":name/pause") { _, context in
            let subscription = try subscription(context)
            subscription.pause()
            logger.notice("subscription paused by the admin API", metadata: ["subscription": "\(subscription.subscription.name)"])
            return Response.json(.ok, summary(subscription))
        }
        admin.post(":name/resume") { _, context in
            let subscription = try subscription(context)
            subscription.resume()
            logger.notice("subscription resumed by the admin API", metadata: ["subscription": "\(subscription.subscription.name)"])
            return Response.json(.ok, summary(subscription))
        }
        admin.post(":name/replay") { request, context in
            let subscription = try subscription(context)
            let expected = #"expected {"conversation": "<source>/<conversation id>"} and/or {"from": "<RFC 3339>", "to": "<RFC 3339>"}"#
            let body = try await AdminAPI.decode(AdminReplayRequest.self, request, upTo: 16 * 1024, expected: expected)
            guard body.conversation != nil || body.from != nil || body.to != nil else { throw AdminError(status: .badRequest, message: expected) }
            func time(_ text: String?, _ field: String) throws -> Timestamp? {
                guard let text else { return nil }
                guard let time = Timestamp(iso8601: text), time.isWithinContractRange else {
                    throw AdminError(status: .badRequest, message: "\(field): expected an RFC 3339 time such as 2026-01-15T10:00:00Z")
                }
                return time
            }
            let replay = SubscriptionDeliverer.ReplayRequest(
                conversationKey: body.conversation, from: try time(body.from, "from"), to: try time(body.to, "to"))
            guard subscription.requestReplay(replay) else {
                throw AdminError(status: .conflict, message: "a replay of \(subscription.subscription.name) is already running")
            }
            logger.notice("replay requested", metadata: ["subscription": "\(subscription.subscription.name)"])
            return Response.json(.accepted, AdminReplayResult(subscription: subscription.subscription.name, accepted: true))
        }
    }

    private func subscription(_ context: BasicRequestContext) throws -> SubscriptionDeliverer {
        let name = context.parameters.get("name") ?? ""
        guard let subscription = deliverer.deliverer(name) else {
            let names = deliverer.deliverers.map(\.subscription.name).sorted().joined(separator: ", ")
            throw AdminError(status: .notFound, message: "no subscription \(name); subscriptions: \(names)")
        }
        return subscription
    }

    private func summary(_ deliverer: SubscriptionDeliverer) -> AdminSubscriptionSummary {
        let state = deliverer.summary()
        let age = state.oldestPendingTime.map { max(0, now().millisecondsSinceEpoch.subtractingSaturated($0.millisecondsSinceEpoch)) } ?? 0
        var status = "active"
        var reason: String?
        switch state.status {
        case .active: break
        case .paused: status = "paused"
        case .disabled(let why):
            status = "disabled"
            reason = why
        }
        return AdminSubscriptionSummary(
            name: deliverer.subscription.name, url: Self.withoutQuery(deliverer.subscription.url), status: status, disabledReason: reason,
            pending: state.pending, inFlight: state.inFlight, retrying: state.retrying, oldestPendingAgeSeconds: Double(age) / 1000,
            replaying: state.replaying, replayedEvents: state.replayedEvents)
    }

    static func withoutQuery(_ url: String) -> String {
        String(url.prefix { $0 != "?" && $0 != "#" })
    }
}
