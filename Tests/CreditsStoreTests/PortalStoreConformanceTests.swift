import CreditsCore
import CreditsStore
import Foundation
import Testing

/// Portal sign-ins and sessions, the same on every backend.
@Suite("Portal store")
struct PortalStoreConformanceTests {
    /// A bcrypt-shaped hash (the store never checks the password; the portal does).
    static let hash = "$2b$04$abcdefghijklmnopqrstuu5ZJwQmN8YxUeV3J4Q1YV7oV9i8b0eQe"

    func credential(_ fixture: Fixture, person: String = "owner", email: String = "Ada@Example.com")
        -> PortalCredential
    {
        PortalCredential(
            workspaceId: fixture.workspace, personId: person, email: email, passwordHash: Self.hash,
            createdAt: fixture.clock.now())
    }

    func session(_ fixture: Fixture, token: String, expiresIn: Double = 3600) -> PortalSession {
        PortalSession(
            tokenHash: String(repeating: token, count: 64 / token.count), workspaceId: fixture.workspace,
            personId: "owner", csrfToken: "csrf-\(token)", createdAt: fixture.clock.now(),
            expiresAt: fixture.clock.now().addingTimeInterval(expiresIn))
    }

    @Test("a sign-in is found by its email, compared lowercased, and counted", arguments: Backend.all)
    func credentialByEmail(_ backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        #expect(try await fixture.store.portalCredentialCount() == 0)
        try await fixture.store.putPortalCredential(credential(fixture))
        let found = try await fixture.store.portalCredential(email: " ADA@example.COM ")
        #expect(found?.email == "ada@example.com")
        #expect(found?.workspaceId == fixture.workspace)
        #expect(found?.personId == "owner")
        #expect(found?.passwordHash == Self.hash)
        #expect(try await fixture.store.portalCredential(workspaceId: fixture.workspace, personId: "owner") == found)
        #expect(try await fixture.store.portalCredentialCount() == 1)
    }

    @Test("setting a person's sign-in again replaces it; another person's email is refused", arguments: Backend.all)
    func credentialReplaceAndRefuse(_ backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.store.putPortalCredential(credential(fixture))
        try await fixture.store.putPortalCredential(credential(fixture, email: "new@example.com"))
        #expect(try await fixture.store.portalCredential(email: "ada@example.com") == nil)
        #expect(try await fixture.store.portalCredential(email: "new@example.com")?.personId == "owner")
        let other = try await fixture.another()
        let code = await fixture.refusal {
            try await fixture.store.putPortalCredential(self.credential(other, email: "new@example.com"))
        }
        #expect(code == .invalidRequest)
        #expect(try await fixture.store.portalCredential(email: "new@example.com")?.workspaceId == fixture.workspace)
        #expect(try await fixture.store.portalCredentialCount() == 1)
    }

    @Test("a sign-in for an unknown workspace or with a bad email is refused", arguments: Backend.all)
    func credentialRefusals(_ backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        var bad = credential(fixture)
        bad.workspaceId = "ws_missing"
        #expect(await fixture.refusal { try await fixture.store.putPortalCredential(bad) } == .workspaceNotFound)
        #expect(
            await fixture.refusal { try await fixture.store.putPortalCredential(self.credential(fixture, email: "x")) }
                == .invalidRequest)
        #expect(try await fixture.store.portalCredentialCount() == 0)
    }

    @Test("a session is found by its token hash and ended by sign-out", arguments: Backend.all)
    func sessions(_ backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let one = session(fixture, token: "a")
        try await fixture.store.createPortalSession(one)
        let found = try await fixture.store.portalSession(tokenHash: one.tokenHash)
        #expect(found == one)
        try await fixture.store.deletePortalSession(tokenHash: one.tokenHash)
        #expect(try await fixture.store.portalSession(tokenHash: one.tokenHash) == nil)
        try await fixture.store.deletePortalSession(tokenHash: one.tokenHash)
    }

    @Test("expired sessions are deleted, live ones kept", arguments: Backend.all)
    func expiredSessions(_ backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let short = session(fixture, token: "b", expiresIn: 60)
        let long = session(fixture, token: "c", expiresIn: 7200)
        try await fixture.store.createPortalSession(short)
        try await fixture.store.createPortalSession(long)
        fixture.clock.advance(seconds: 120)
        #expect(try await fixture.store.deleteExpiredPortalSessions(before: fixture.clock.now()) == 1)
        #expect(try await fixture.store.portalSession(tokenHash: short.tokenHash) == nil)
        #expect(try await fixture.store.portalSession(tokenHash: long.tokenHash) != nil)
    }
}
