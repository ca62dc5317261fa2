import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

extension PostgresStore: PortalStore {
    /// `0007_portal`: portal sign-ins (one per person; an email signs in to one person) and browser sessions kept
    /// by the SHA-256 of their token. Sessions are looked up by that hash alone, so it is their primary key.
    static let portalMigration = Migration(
        name: "0007_portal",
        statements: [
            """
            CREATE TABLE portal_credentials (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                person_id text COLLATE "C" NOT NULL CHECK (person_id <> ''),
                email text NOT NULL CHECK (email <> '' AND email = lower(email)),
                password_hash text NOT NULL CHECK (password_hash LIKE '$2%'),
                created_at_ms bigint NOT NULL,
                PRIMARY KEY (workspace_id, person_id),
                CONSTRAINT portal_credentials_email_key UNIQUE (email)
            )
            """,
            """
            CREATE TABLE portal_sessions (
                token_hash text COLLATE "C" NOT NULL CHECK (length(token_hash) = 64),
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                person_id text COLLATE "C" NOT NULL,
                csrf_token text NOT NULL CHECK (csrf_token <> ''),
                created_at_ms bigint NOT NULL,
                expires_at_ms bigint NOT NULL,
                PRIMARY KEY (token_hash),
                CHECK (expires_at_ms > created_at_ms)
            )
            """,
            "CREATE INDEX portal_sessions_expiry ON portal_sessions (expires_at_ms)",
        ])

    private static func credential(_ row: PostgresRow) throws -> PortalCredential {
        let (workspaceId, personId, email, hash, createdAt) = try row.decode(
            (String, String, String, String, Int64).self)
        return PortalCredential(
            workspaceId: workspaceId, personId: personId, email: email, passwordHash: hash,
            createdAt: Date(millis: createdAt))
    }

    public func putPortalCredential(_ credential: PortalCredential) async throws {
        try credential.validate()
        try await transaction("putPortalCredential") { connection in
            _ = try await zone(credential.workspaceId, on: connection)
            let other = try await rows(
                """
                SELECT workspace_id, person_id, email, password_hash, created_at_ms FROM portal_credentials
                WHERE email = \(credential.email) FOR UPDATE
                """, on: connection
            ).first.map(Self.credential)
            if let other, other.workspaceId != credential.workspaceId || other.personId != credential.personId {
                throw LedgerRefusal.invalid("the email \(credential.email) already signs in to another person")
            }
            try await execute(
                """
                INSERT INTO portal_credentials (workspace_id, person_id, email, password_hash, created_at_ms)
                VALUES (\(credential.workspaceId), \(credential.personId), \(credential.email),
                    \(credential.passwordHash), \(credential.createdAt.millis))
                ON CONFLICT (workspace_id, person_id) DO UPDATE SET email = excluded.email,
                    password_hash = excluded.password_hash
                """, on: connection)
        }
    }

    public func portalCredential(email: String) async throws -> PortalCredential? {
        let normalized = PortalCredential.normalize(email)
        return try await read("portalCredential") { connection in
            try await rows(
                """
                SELECT workspace_id, person_id, email, password_hash, created_at_ms FROM portal_credentials
                WHERE email = \(normalized)
                """, on: connection
            ).first.map(Self.credential)
        }
    }

    public func portalCredential(workspaceId: WorkspaceID, personId: String) async throws -> PortalCredential? {
        try await read("portalCredential") { connection in
            try await rows(
                """
                SELECT workspace_id, person_id, email, password_hash, created_at_ms FROM portal_credentials
                WHERE workspace_id = \(workspaceId) AND person_id = \(personId)
                """, on: connection
            ).first.map(Self.credential)
        }
    }

    public func portalCredentialCount() async throws -> Int {
        try await read("portalCredentialCount") { connection in
            Int(
                try await rows("SELECT count(*) FROM portal_credentials", on: connection).first?.decode(Int64.self) ?? 0
            )
        }
    }

    public func createPortalSession(_ session: PortalSession) async throws {
        try await transaction("createPortalSession") { connection in
            _ = try await zone(session.workspaceId, on: connection)
            try await execute(
                """
                INSERT INTO portal_sessions (token_hash, workspace_id, person_id, csrf_token, created_at_ms,
                    expires_at_ms)
                VALUES (\(session.tokenHash), \(session.workspaceId), \(session.personId), \(session.csrfToken),
                    \(session.createdAt.millis), \(session.expiresAt.millis))
                """, on: connection)
        }
    }

    public func portalSession(tokenHash: String) async throws -> PortalSession? {
        try await read("portalSession") { connection in
            try await rows(
                """
                SELECT token_hash, workspace_id, person_id, csrf_token, created_at_ms, expires_at_ms
                FROM portal_sessions WHERE token_hash = \(tokenHash)
                """, on: connection
            ).first.map { row in
                let (hash, workspaceId, personId, csrf, createdAt, expiresAt) = try row.decode(
                    (String, String, String, String, Int64, Int64).self)
                return PortalSession(
                    tokenHash: hash, workspaceId: workspaceId, personId: personId, csrfToken: csrf,
                    createdAt: Date(millis: createdAt), expiresAt: Date(millis: expiresAt))
            }
        }
    }

    public func deletePortalSession(tokenHash: String) async throws {
        try await transaction("deletePortalSession") { connection in
            try await execute("DELETE FROM portal_sessions WHERE token_hash = \(tokenHash)", on: connection)
        }
    }

    public func deleteExpiredPortalSessions(before: Date) async throws -> Int {
        try await transaction("deleteExpiredPortalSessions") { connection in
            try await rows(
                "DELETE FROM portal_sessions WHERE expires_at_ms < \(before.millis) RETURNING 1", on: connection
            ).count
        }
    }
}
