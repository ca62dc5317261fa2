import Foundation
import Hummingbird

/// Unauthenticated system routes: health, metrics, the OpenAPI document.
extension CreditsAPI {
    /// `GET /health`: 200 when the store answers, 503 when it does not.
    func health(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        do {
            _ = try await store.workspace(id: "health-check")
            return try JSONResponse.make(HealthView(status: "ok"))
        } catch {
            context.logger.error("health check: store failed", metadata: ["error": "\(String(reflecting: error))"])
            throw APIError(.serviceUnavailable, .unavailable, "the store is not answering", retryable: true)
        }
    }

    /// `GET /metrics`: the app's registry in Prometheus text format.
    func metricsText(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let bytes = metrics.registry.emitToBuffer()
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .contentLength: String(bytes.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `GET /openapi.yaml`: the hand-written OpenAPI 3.1 document.
    func openAPI(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        guard let document = openAPIDocument else {
            throw NSError(
                domain: "CreditsServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "openapi.yaml missing"])
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/yaml", .contentLength: String(document.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: document)))
    }
}
