import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import CreditsServer

/// The admin token every test app is configured with (unless a test turns admin off).
let adminToken = "test-admin-token"
/// The Twilio auth token and public URL every test app is configured with (unless a test turns them off).
let twilioTestToken = "twilio-test-token"
let twilioTestBaseURL = "https://calls.example.com"

/// A test app over a `MemoryStore` with a `ManualClock` and `SequentialIDs`.
struct Harness {
    let clock = ManualClock()
    let store: any ServiceStore
    var configuration: ServerConfiguration

    init(
        adminToken: String? = adminToken, requestBodyBytesMax: Int = 64 * 1024, store: (any ServiceStore)? = nil,
        twilioAuthToken: String? = twilioTestToken
    ) {
        self.store = store ?? MemoryStore(clock: clock, ids: SequentialIDs())
        // Long intervals: tests call `sweepOnce()`, `evaluateOnce()` and `sendDue(using:)` themselves.
        self.configuration = ServerConfiguration(
            adminToken: adminToken, requestBodyBytesMax: requestBodyBytesMax, holdSweepIntervalSeconds: 3600,
            twilioAuthToken: twilioAuthToken, publicBaseURL: twilioTestBaseURL, campaignTickSeconds: 3600,
            walletAlertIntervalSeconds: 3600, webhookSender: WebhookSenderConfiguration(pollIntervalSeconds: 3600),
            portal: PortalConfiguration(passwordCost: 4))
    }

    /// Builds the app and runs `test` against it through Hummingbird's router test client.
    func run<Value: Sendable>(
        _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = buildApplication(
            configuration: configuration, store: store, clock: clock, logger: logger,
            webhookTransport: { RecordingTransport() })
        return try await app.test(.router) { client in try await test(client) }
    }
}

/// A workspace made through the operator API, with its first key's secret.
struct TestWorkspace: Sendable {
    var id: String
    var poolWalletId: String
    var secret: String
    var keyId: String
}

extension TestClientProtocol {
    /// Sends a request with an optional bearer token and a JSON (or raw text) body.
    func send(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil,
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var fields = headers
        if let token { fields[.authorization] = "Bearer \(token)" }
        if json != nil { fields[.contentType] = "application/json" }
        return try await execute(
            uri: uri, method: method, headers: fields, body: json.map { ByteBuffer(string: $0) })
    }

    /// Creates a workspace through `POST /v1/workspaces`.
    func createWorkspace(name: String = "Acme") async throws -> TestWorkspace {
        let response = try await send(
            .post, "/v1/workspaces", token: adminToken, json: #"{"name": "\#(name)", "timeZone": "Europe/Berlin"}"#)
        #expect(response.status == .created)
        let view = try decode(CreatedWorkspaceView.self, response)
        return TestWorkspace(
            id: view.workspace.id, poolWalletId: view.poolWalletId, secret: view.apiKey.secret ?? "",
            keyId: view.apiKey.id)
    }

    /// Grants credits to a workspace's pool through the operator API.
    @discardableResult
    func grant(
        _ workspace: TestWorkspace, amount: Int, key: String = UUID().uuidString, extra: String = ""
    ) async throws -> TestResponse {
        try await send(
            .post, "/v1/workspaces/\(workspace.id)/credits", token: adminToken,
            json: #"{"amount": \#(amount), "reason": "test grant"\#(extra)}"#, headers: [.idempotencyKey: key])
    }

    /// Places a hold for an attempt on the pool.
    func hold(_ workspace: TestWorkspace, attempt: String, extra: String = "") async throws -> TestResponse {
        try await send(.post, "/v1/holds", token: workspace.secret, json: #"{"attemptId": "\#(attempt)"\#(extra)}"#)
    }

    /// The pool's balance.
    func balance(_ workspace: TestWorkspace) async throws -> Balance {
        let response = try await send(.get, "/v1/balance", token: workspace.secret)
        #expect(response.status == .ok)
        return try decode(Balance.self, response)
    }
}

/// Decodes a response body with the API's decoder.
func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    try JSONDecoder.api.decode(T.self, from: Data(response.body.readableBytesView))
}

/// The error body of a response.
func errorBody(_ response: TestResponse) throws -> APIError.Body {
    try decode(APIError.Body.self, response)
}

/// The body as text.
func text(_ response: TestResponse) -> String {
    String(buffer: response.body)
}

/// A logger that only shows critical messages, so test output stays readable.
let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()
