import ConvoBridgeCore
import ConvoBridgeServer
import HTTPTypes
import Hummingbird
import Logging

/// Guards every `/admin` route: `Authorization: Bearer <token>`, compared in constant time, before anything of the
/// request's body is read. A refusal is counted, logged (never with the token, at most once per interval) and
/// answered late with 401. An ``AdminError`` a route throws becomes its JSON answer.
struct AdminBearerMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    let token: String
    let metrics: BridgeMetrics
    let refusals: AdminTokenRefusals
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), ConstantTime.equals(header.utf8.dropFirst(7), token.utf8) else {
            metrics.adminTokenRefused()
            if let refused = refusals.shouldLog(now: .now) {
                logger.warning(
                    "admin request refused: missing or wrong bearer token",
                    metadata: ["path": "\(request.uri.path)", "refused_since_last_log": "\(refused)"])
            }
            try? await Task.sleep(for: AdminTokenRefusals.delay)
            return Response.json(
                .unauthorized, AdminErrorBody(error: "missing or wrong bearer token"),
                headers: [.wwwAuthenticate: #"Bearer realm="convobridge-admin""#])
        }
        do {
            return try await next(request, context)
        } catch let error as AdminError {
            return Response.json(error.status, AdminErrorBody(error: error.message))
        }
    }
}
