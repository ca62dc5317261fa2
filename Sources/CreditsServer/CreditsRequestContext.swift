import Foundation
import HTTPTypes
import Hummingbird

/// The request context of the CallCredits API: Hummingbird's core storage plus the API's JSON coders.
public struct CreditsRequestContext: RequestContext {
    /// Hummingbird's per-request storage (logger, parameters, endpoint path).
    public var coreContext: CoreRequestContextStorage

    /// Creates the context for one request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// Decodes request bodies with RFC 3339 dates.
    public var requestDecoder: JSONDecoder { .api }
    /// Encodes responses with RFC 3339 dates (milliseconds) and sorted keys.
    public var responseEncoder: JSONEncoder { .api }
}

/// Builds JSON responses with the API's encoder.
enum JSONResponse {
    /// A response whose body is `value` as JSON.
    static func make(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
    ) throws -> Response {
        let data = try JSONEncoder.api.encode(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = String(data.count)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension HTTPField.Name {
    /// The client's idempotency key for a write that is not naturally idempotent (grants).
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// Set to `true` on a response that repeats the first result of an idempotent write.
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}

extension HTTPResponse.Status {
    /// 402: HTTPTypes has no name for it; the API answers it when a wallet is out of credits.
    static let paymentRequired = HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")
}
