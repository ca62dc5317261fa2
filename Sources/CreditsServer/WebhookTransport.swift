import AsyncHTTPClient
import Foundation
import NIOCore

/// Sends one webhook request. Injected into `WebhookSender`, so tests can answer without a network.
public protocol WebhookTransport: Sendable {
    /// POSTs `body` with `headers` to `url`; the response's status code, or an error when none came in time.
    func post(url: String, headers: [(name: String, value: String)], body: [UInt8], timeoutSeconds: Double)
        async throws -> Int
    /// Releases the transport's connections; called once when the sender stops.
    func shutdown() async throws
}

/// The production transport: AsyncHTTPClient with redirects off (Standard Webhooks treats 3xx as a failure)
/// and the response body read and dropped, up to `responseBytesMax`.
public final class HTTPClientWebhookTransport: WebhookTransport {
    /// Most bytes of a response body read before the connection is dropped.
    public static let responseBytesMax = 64 * 1024
    private let client: HTTPClient

    public init() {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(10))
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public func post(
        url: String, headers: [(name: String, value: String)], body: [UInt8], timeoutSeconds: Double
    ) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "callcredits-webhooks/1")
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .milliseconds(Int64(timeoutSeconds * 1000)))
        var read = 0
        for try await chunk in response.body {
            read += chunk.readableBytes
            if read > Self.responseBytesMax { break }
        }
        return Int(response.status.code)
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }
}
