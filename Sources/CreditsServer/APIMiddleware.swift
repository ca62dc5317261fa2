import Hummingbird
import Logging

/// Outermost middleware: answers errors that escape the routes (unknown route, anything unexpected)
/// as JSON, and counts every request by route template and status.
struct APIMiddleware: RouterMiddleware {
    typealias Context = CreditsRequestContext
    let api: CreditsAPI

    func handle(
        _ request: Request, context: CreditsRequestContext,
        next: (Request, CreditsRequestContext) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = api.errorResponse(error, request: request, context: context)
        }
        // The template, not the raw path, so label values stay few; unknown routes share one label.
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        api.metrics.recordRequest(
            route: route, method: request.method.rawValue, status: Int(response.status.code),
            duration: ContinuousClock.now - start)
        return response
    }
}
