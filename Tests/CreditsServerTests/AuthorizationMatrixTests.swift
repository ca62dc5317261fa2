import CreditsCore
import CreditsStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

/// A workspace with an owner, two members (the first owns the resources the routes name) and a foreign workspace,
/// made in a fresh store for every request so no call sees another's effects.
struct MatrixWorld: Sendable {
    var ids: [String: String] = [:]
    var secrets: [MatrixCaller: String] = [:]

    static func make(_ store: any ServiceStore) async throws -> MatrixWorld {
        var world = MatrixWorld()
        let (ownerSecret, ownerKey) = APIKeySecret.generate(name: "owner")
        let created = try await store.createWorkspace(NewWorkspace(name: "A", timeZone: "UTC", firstKey: ownerKey))
        let workspace = created.workspace.id
        let owner = created.owner.id
        _ = try await store.putPlan(
            Plan(id: "basic", name: "Basic", monthlyAllotment: 100, priceMinor: 4_900, currency: "USD"))
        _ = try await store.putPackage(
            CreditPackage(id: "small", name: "10 credits", credits: 10, priceMinor: 1_000, currency: "USD"))
        _ = try await store.createSubscription(NewSubscription(workspaceId: workspace, planId: "basic"))
        _ = try await store.resetCycle(workspaceId: workspace)
        func join(_ email: String) async throws -> (String, Person) {
            let (_, hash) = InvitationToken.generate()
            _ = try await store.team(
                TeamRequest(workspaceId: workspace, actor: owner, command: .invite(email: email, tokenHash: hash)))
            let (secret, key) = APIKeySecret.generate(name: "member")
            let joined = try await store.team(
                TeamRequest(
                    workspaceId: workspace, actor: "invitee", command: .acceptInvitation(tokenHash: hash), newKey: key))
            return (secret, joined.outcome.person!)
        }
        let (memberSecret, member) = try await join("member@example.com")
        let (otherSecret, _) = try await join("other@example.com")
        _ = try await store.team(TeamRequest(workspaceId: workspace, actor: owner, command: .transfer(member.id, 10)))
        let pending = InvitationToken.generate()
        let invited = try await store.team(
            TeamRequest(
                workspaceId: workspace, actor: owner,
                command: .invite(email: "new@example.com", tokenHash: pending.hash)))
        let campaign = try await store.createCampaign(
            NewCampaign(workspaceId: workspace, walletId: member.walletId, name: "Member's"))
        _ = try await store.createAttempts(
            workspaceId: workspace, [NewAttempt(id: "att-m", walletId: member.walletId!, phoneNumber: "+14155550100")])
        _ = try await store.hold(
            HoldCommand(workspaceId: workspace, walletId: member.walletId!, attemptId: "hold-m", timeoutSeconds: 600))
        let extraKey = try await store.createAPIKey(
            workspaceId: workspace, APIKeySecret.generate(name: "extra", personId: member.id).key)
        let (foreignSecret, foreignKey) = APIKeySecret.generate(name: "foreign")
        _ = try await store.createWorkspace(NewWorkspace(name: "B", timeZone: "UTC", firstKey: foreignKey))
        world.secrets = [
            .owner: ownerSecret, .member: memberSecret, .otherMember: otherSecret, .foreign: foreignSecret,
        ]
        world.ids = [
            "workspaceId": workspace, "walletId": member.walletId!, "personId": member.id,
            "invitationId": invited.outcome.invitation!.id, "campaignId": campaign.id, "attemptId": "att-m",
            "holdAttempt": "hold-m", "keyId": extraKey.id, "endpointId": "ep_none", "purchaseId": "pur_none",
            "phoneNumber": "+14155550100", "planId": "basic", "packageId": "small", "token": pending.token,
        ]
        return world
    }

    /// `template` with `{name}`s replaced (a hold route names the attempt that has a hold).
    func fill(_ template: String) -> String {
        var result =
            template.hasPrefix("/v1/holds/")
            ? template.replacingOccurrences(of: "{attemptId}", with: ids["holdAttempt"]!) : template
        for (name, value) in ids { result = result.replacingOccurrences(of: "{\(name)}", with: value) }
        return result
    }
}

/// Who calls: the owner, the member whose resources the routes name, another member, another workspace's owner,
/// or nobody.
enum MatrixCaller: String, CaseIterable, Sendable, CustomStringConvertible {
    case owner, member, otherMember, foreign, none
    var description: String { rawValue }
}

/// One route's request and the status each caller must get: owner, member, other member, foreign, no key.
struct MatrixEntry: Sendable {
    var query: String = ""
    var body: String?
    var contentType: String = "application/json"
    var expected: [Int]
}

@Suite("Authorization matrix")
struct AuthorizationMatrixTests {
    // Shorthands for rows: an operator route answers 401 to every API key; an owner-only route 403 to members.
    static let admin = MatrixEntry(expected: [401, 401, 401, 401, 401])

    /// Every route of the route table, keyed "METHOD path". A route missing here fails the test.
    static let table: [String: MatrixEntry] = [
        "GET /health": MatrixEntry(expected: [200, 200, 200, 200, 200]),
        "GET /metrics": MatrixEntry(expected: [200, 200, 200, 200, 200]),
        "GET /openapi.yaml": MatrixEntry(expected: [200, 200, 200, 200, 200]),
        "POST /v1/workspaces": MatrixEntry(body: #"{"name": "X", "timeZone": "UTC"}"#, expected: admin.expected),
        "GET /v1/workspaces/{workspaceId}": admin,
        "POST /v1/workspaces/{workspaceId}/credits": MatrixEntry(
            body: #"{"amount": 5, "reason": "r"}"#, expected: admin.expected),
        "GET /v1/balance": MatrixEntry(query: "?walletId={walletId}", expected: [200, 200, 404, 404, 401]),
        "GET /v1/entries": MatrixEntry(query: "?walletId={walletId}", expected: [200, 200, 404, 404, 401]),
        "POST /v1/holds": MatrixEntry(
            body: #"{"attemptId": "new-hold", "walletId": "{walletId}"}"#, expected: [201, 201, 404, 404, 401]),
        "GET /v1/holds/{attemptId}": MatrixEntry(expected: [200, 200, 404, 404, 401]),
        "POST /v1/holds/{attemptId}/capture": MatrixEntry(expected: [200, 200, 404, 404, 401]),
        "POST /v1/holds/{attemptId}/release": MatrixEntry(expected: [200, 200, 404, 404, 401]),
        "POST /v1/attempts": MatrixEntry(
            body: #"{"attemptId": "new-att", "phoneNumber": "+14155550111", "walletId": "{walletId}", "dial": false}"#,
            expected: [201, 201, 404, 404, 401]),
        "GET /v1/attempts": MatrixEntry(query: "?walletId={walletId}", expected: [200, 200, 404, 404, 401]),
        "GET /v1/attempts/{attemptId}": MatrixEntry(expected: [200, 200, 404, 404, 401]),
        "POST /v1/attempts/{attemptId}/events": MatrixEntry(
            body: #"{"eventId": "e-1", "type": "dialing_started"}"#, expected: [200, 200, 404, 404, 401]),
        "POST /v1/attempts/{attemptId}/cancel": MatrixEntry(expected: [200, 200, 404, 404, 401]),
        "POST /v1/callbacks/twilio/{workspaceId}/{attemptId}": MatrixEntry(
            body: "CallStatus=ringing", contentType: "application/x-www-form-urlencoded",
            expected: [403, 403, 403, 403, 403]),
        "GET /v1/dnc": MatrixEntry(expected: [200, 403, 403, 200, 401]),
        "POST /v1/dnc": MatrixEntry(body: #"{"numbers": ["+14155550199"]}"#, expected: [200, 200, 200, 200, 401]),
        "POST /v1/dnc/import": MatrixEntry(
            body: "phone\n+14155550198\n", contentType: "text/csv", expected: [200, 403, 403, 200, 401]),
        "GET /v1/dnc/{phoneNumber}": MatrixEntry(expected: [200, 200, 200, 200, 401]),
        "DELETE /v1/dnc/{phoneNumber}": MatrixEntry(expected: [200, 403, 403, 200, 401]),
        "GET /v1/usage": MatrixEntry(query: "?walletId={walletId}", expected: [200, 200, 404, 404, 401]),
        "GET /v1/api-keys": MatrixEntry(expected: [200, 200, 200, 200, 401]),
        "POST /v1/api-keys": MatrixEntry(body: #"{"name": "k"}"#, expected: [201, 201, 201, 201, 401]),
        "DELETE /v1/api-keys/{keyId}": MatrixEntry(expected: [200, 200, 404, 404, 401]),
        "POST /v1/campaigns": MatrixEntry(
            body: #"{"name": "c", "walletId": "{walletId}"}"#, expected: [201, 201, 404, 404, 401]),
        "GET /v1/campaigns": MatrixEntry(expected: [200, 200, 200, 200, 401]),
        "GET /v1/campaigns/{campaignId}": MatrixEntry(expected: [200, 200, 404, 404, 401]),
        "PATCH /v1/campaigns/{campaignId}": MatrixEntry(
            body: #"{"name": "renamed"}"#, expected: [200, 200, 404, 404, 401]),
        "POST /v1/campaigns/{campaignId}/recipients": MatrixEntry(
            body: "phone\n+14155550123\n", contentType: "text/csv", expected: [201, 201, 404, 404, 401]),
        "GET /v1/campaigns/{campaignId}/recipients": MatrixEntry(expected: [200, 200, 404, 404, 401]),
        "GET /v1/campaigns/{campaignId}/send-step": MatrixEntry(expected: [200, 200, 404, 404, 401]),
        "POST /v1/campaigns/{campaignId}/launch": MatrixEntry(expected: [409, 409, 404, 404, 401]),
        "POST /v1/campaigns/{campaignId}/pause": MatrixEntry(expected: [409, 409, 404, 404, 401]),
        "POST /v1/campaigns/{campaignId}/resume": MatrixEntry(expected: [409, 409, 404, 404, 401]),
        "POST /v1/campaigns/{campaignId}/cancel": MatrixEntry(expected: [200, 200, 404, 404, 401]),
        "POST /v1/calls.execute": MatrixEntry(
            body: #"{"campaignId": "{campaignId}", "phoneNumber": "+14155550124"}"#,
            expected: [409, 409, 404, 404, 401]),
        "GET /v1/webhook-endpoints": MatrixEntry(expected: [200, 403, 403, 200, 401]),
        "POST /v1/webhook-endpoints": MatrixEntry(
            body: #"{"url": "https://hooks.example.com/x"}"#, expected: [201, 403, 403, 201, 401]),
        "GET /v1/webhook-endpoints/{endpointId}": MatrixEntry(expected: [404, 403, 403, 404, 401]),
        "PATCH /v1/webhook-endpoints/{endpointId}": MatrixEntry(
            body: #"{"enabled": false}"#, expected: [404, 403, 403, 404, 401]),
        "DELETE /v1/webhook-endpoints/{endpointId}": MatrixEntry(expected: [404, 403, 403, 404, 401]),
        "GET /v1/webhook-deliveries": MatrixEntry(expected: [200, 403, 403, 200, 401]),
        "GET /v1/notification-settings": MatrixEntry(expected: [200, 403, 403, 200, 401]),
        "PUT /v1/notification-settings": MatrixEntry(body: "{}", expected: [200, 403, 403, 200, 401]),
        "GET /v1/wallets/{walletId}/runway": MatrixEntry(expected: [200, 200, 404, 404, 401]),
        "GET /v1/plans": admin,
        "PUT /v1/plans/{planId}": MatrixEntry(
            body: #"{"name": "B", "monthlyAllotment": 1, "priceMinor": 1, "currency": "USD"}"#,
            expected: admin.expected),
        "PUT /v1/packages/{packageId}": MatrixEntry(
            body: #"{"name": "P", "credits": 1, "priceMinor": 1, "currency": "USD"}"#, expected: admin.expected),
        "POST /v1/workspaces/{workspaceId}/subscription": MatrixEntry(
            body: #"{"planId": "basic"}"#, expected: admin.expected),
        "GET /v1/workspaces/{workspaceId}/subscription": admin,
        "POST /v1/workspaces/{workspaceId}/subscription/plan": MatrixEntry(
            body: #"{"planId": "basic"}"#, expected: admin.expected),
        "POST /v1/workspaces/{workspaceId}/subscription/status": MatrixEntry(
            body: #"{"status": "active"}"#, expected: admin.expected),
        "GET /v1/workspaces/{workspaceId}/billing": admin,
        "POST /v1/workspaces/{workspaceId}/purchases/{purchaseId}/refund": MatrixEntry(
            body: "{}", expected: admin.expected),
        "GET /v1/billing": MatrixEntry(expected: [200, 403, 403, 200, 401]),
        "GET /v1/packages": MatrixEntry(expected: [200, 403, 403, 200, 401]),
        "POST /v1/purchases": MatrixEntry(body: #"{"packageId": "small"}"#, expected: [201, 403, 403, 201, 401]),
        "GET /v1/purchases": MatrixEntry(expected: [200, 403, 403, 200, 401]),
        "GET /v1/purchases/{purchaseId}": MatrixEntry(expected: [404, 403, 403, 404, 401]),
        "POST /v1/webhooks/stripe": MatrixEntry(body: "{}", expected: [403, 403, 403, 403, 403]),
        "GET /v1/team/members": MatrixEntry(expected: [200, 200, 200, 200, 401]),
        "PUT /v1/team/members/{personId}/allotment": MatrixEntry(
            body: #"{"monthlyAllotment": 10}"#, expected: [200, 403, 403, 404, 401]),
        "POST /v1/team/members/{personId}/removal": MatrixEntry(expected: [200, 403, 403, 404, 401]),
        "DELETE /v1/team/members/{personId}/removal": MatrixEntry(expected: [409, 403, 403, 404, 401]),
        "POST /v1/team/transfers": MatrixEntry(
            body: #"{"personId": "{personId}", "amount": 1}"#, expected: [201, 403, 403, 404, 401]),
        "POST /v1/team/reclaims": MatrixEntry(
            body: #"{"personId": "{personId}", "amount": 1}"#, expected: [201, 403, 403, 404, 401]),
        "GET /v1/team/invitations": MatrixEntry(expected: [200, 403, 403, 200, 401]),
        "POST /v1/team/invitations": MatrixEntry(
            body: #"{"email": "someone@example.com"}"#, expected: [201, 403, 403, 201, 401]),
        "POST /v1/team/invitations/{invitationId}/resend": MatrixEntry(expected: [200, 403, 403, 404, 401]),
        "POST /v1/team/invitations/{invitationId}/cancel": MatrixEntry(expected: [200, 403, 403, 404, 401]),
        "POST /v1/invitations/accept": MatrixEntry(
            body: #"{"token": "{token}"}"#, expected: [201, 201, 201, 201, 201]),
        "POST /v1/team/leave": MatrixEntry(expected: [409, 200, 200, 409, 401]),
        "GET /v1/team/audit": MatrixEntry(expected: [200, 403, 403, 200, 401]),
    ]

    @Test("every route answers the owner, a member, another member, another workspace and no key as it must")
    func everyRouteEveryCaller() async throws {
        let routes = CreditsAPI(
            store: MemoryStore(), clock: ManualClock(), configuration: ServerConfiguration(), metrics: ServerMetrics(),
            logger: quietLogger
        ).routes
        var mismatches: [String] = []
        for route in routes {
            let name = "\(route.method) \(route.path)"
            guard let entry = Self.table[name] else {
                Issue.record("\(name) has no entry in the authorization matrix")
                continue
            }
            for (index, caller) in MatrixCaller.allCases.enumerated() {
                let harness = Harness()
                let world = try await MatrixWorld.make(harness.store)
                let status = try await harness.run { client in
                    var headers: HTTPFields = [.idempotencyKey: "matrix-1", .contentType: entry.contentType]
                    if let secret = world.secrets[caller] { headers[.authorization] = "Bearer \(secret)" }
                    let response = try await client.execute(
                        uri: world.fill(route.path + entry.query), method: route.method, headers: headers,
                        body: entry.body.map { ByteBuffer(string: world.fill($0)) })
                    return Int(response.status.code)
                }
                if status != entry.expected[index] {
                    mismatches.append("\(name) as \(caller): \(status), expected \(entry.expected[index])")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        let registered = Set(routes.map { "\($0.method) \($0.path)" })
        #expect(Set(Self.table.keys).subtracting(registered).isEmpty, "entries for routes that do not exist")
    }
}
