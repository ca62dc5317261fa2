import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

@Suite("Health, metrics, OpenAPI document")
struct SystemRouteTests {
    @Test func healthIsOkWhenTheStoreAnswers() async throws {
        try await Harness().run { client in
            let response = try await client.send(.get, "/health")
            #expect(response.status == .ok)
            #expect(try decode(HealthView.self, response).status == "ok")
        }
    }

    @Test func healthIs503WhenTheStoreFails() async throws {
        let store = ScriptedStore(
            inner: MemoryStore(clock: ManualClock(), ids: SequentialIDs()),
            failures: ["workspace": SecretInfrastructureError()])
        try await Harness(store: store).run { client in
            let response = try await client.send(.get, "/health")
            #expect(response.status == .serviceUnavailable)
            #expect(try errorBody(response).code == "unavailable")
            #expect(!text(response).contains("hunter2"))
        }
    }

    @Test func metricsCountRequestsAndLedgerOperations() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            _ = try await client.hold(workspace, attempt: "att-1")
            _ = try await client.hold(workspace, attempt: "att-2")
            let metrics = text(try await client.send(.get, "/metrics"))
            #expect(
                metrics.contains(
                    #"callcredits_http_requests_total{route="/v1/holds",method="POST",status="201"} 1"#))
            #expect(
                metrics.contains(
                    #"callcredits_http_requests_total{route="/v1/holds",method="POST",status="402"} 1"#))
            #expect(metrics.contains(#"callcredits_ledger_operations_total{operation="hold",replayed="false"} 1"#))
            #expect(metrics.contains(#"callcredits_ledger_refusals_total{code="out_of_credits"} 1"#))
            _ = try await client.hold(workspace, attempt: "att-3")
            let later = text(try await client.send(.get, "/metrics"))
            #expect(later.contains(#"callcredits_ledger_refusals_total{code="out_of_credits"} 2"#))
        }
    }

    @Test func openAPIDocumentIsServedAsYAML() async throws {
        try await Harness().run { client in
            let response = try await client.send(.get, "/openapi.yaml")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/yaml")
            #expect(text(response).hasPrefix("openapi: 3.1"))
        }
    }
}
