import CreditsCore
import CreditsStore
import Foundation
import GRDB

extension SQLiteSchema {
    /// `007_portal`: portal sign-ins (one per person, an email signs in to one person) and browser sessions,
    /// kept by the SHA-256 of their token.
    static func registerPortal(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("007_portal") { db in
            try db.execute(
                sql: """
                    CREATE TABLE portal_credentials (
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        person_id TEXT NOT NULL CHECK (person_id <> ''),
                        email TEXT NOT NULL UNIQUE CHECK (email <> '' AND email = lower(email)),
                        password_hash TEXT NOT NULL CHECK (password_hash LIKE '$2%'),
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (workspace_id, person_id)
                    );
                    CREATE TABLE portal_sessions (
                        token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        person_id TEXT NOT NULL,
                        csrf_token TEXT NOT NULL CHECK (csrf_token <> ''),
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        CHECK (expires_at > created_at)
                    );
                    CREATE INDEX portal_sessions_expiry ON portal_sessions(expires_at);
                    """)
        }
    }
}

extension SQLiteStore: PortalStore {
    static let credentialColumns = "workspace_id, person_id, email, password_hash, created_at"

    static func credential(_ row: Columns) -> PortalCredential {
        PortalCredential(
            workspaceId: row.text(0), personId: row.text(1), email: row.text(2), passwordHash: row.text(3),
            createdAt: SQLiteRows.date(row, 4))
    }

    public func putPortalCredential(_ credential: PortalCredential) async throws {
        try credential.validate()
        try await groupWriter.write { db in
            _ = try SQLiteCallRows.timeZone(db, credential.workspaceId)
            if let other = try db.firstRow(
                "SELECT \(Self.credentialColumns) FROM portal_credentials WHERE email = ?", [.text(credential.email)],
                Self.credential),
                other.workspaceId != credential.workspaceId || other.personId != credential.personId
            {
                throw LedgerRefusal.invalid("the email \(credential.email) already signs in to another person")
            }
            try db.execute(
                sql: """
                    INSERT INTO portal_credentials (workspace_id, person_id, email, password_hash, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (workspace_id, person_id) DO UPDATE SET email = excluded.email,
                        password_hash = excluded.password_hash
                    """,
                arguments: [
                    credential.workspaceId, credential.personId, credential.email, credential.passwordHash,
                    credential.createdAt.millisecondsSince1970,
                ])
        }
    }

    public func portalCredential(email: String) async throws -> PortalCredential? {
        try await readPool.read { db in
            try db.firstRow(
                "SELECT \(Self.credentialColumns) FROM portal_credentials WHERE email = ?",
                [.text(PortalCredential.normalize(email))], Self.credential)
        }
    }

    public func portalCredential(workspaceId: WorkspaceID, personId: String) async throws -> PortalCredential? {
        try await readPool.read { db in
            try db.firstRow(
                "SELECT \(Self.credentialColumns) FROM portal_credentials WHERE workspace_id = ? AND person_id = ?",
                [.text(workspaceId), .text(personId)], Self.credential)
        }
    }

    public func portalCredentialCount() async throws -> Int {
        try await readPool.read { db in
            Int(try db.firstRow("SELECT count(*) FROM portal_credentials", [], { $0.integer(0) }) ?? 0)
        }
    }

    public func createPortalSession(_ session: PortalSession) async throws {
        try await groupWriter.write { db in
            _ = try SQLiteCallRows.timeZone(db, session.workspaceId)
            try db.execute(
                sql: """
                    INSERT INTO portal_sessions (token_hash, workspace_id, person_id, csrf_token, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    session.tokenHash, session.workspaceId, session.personId, session.csrfToken,
                    session.createdAt.millisecondsSince1970, session.expiresAt.millisecondsSince1970,
                ])
        }
    }

    public func portalSession(tokenHash: String) async throws -> PortalSession? {
        try await readPool.read { db in
            try db.firstRow(
                """
                SELECT token_hash, workspace_id, person_id, csrf_token, created_at, expires_at
                FROM portal_sessions WHERE token_hash = ?
                """, [.text(tokenHash)]
            ) { row in
                PortalSession(
                    tokenHash: row.text(0), workspaceId: row.text(1), personId: row.text(2), csrfToken: row.text(3),
                    createdAt: SQLiteRows.date(row, 4), expiresAt: SQLiteRows.date(row, 5))
            }
        }
    }

    public func deletePortalSession(tokenHash: String) async throws {
        try await groupWriter.write { db in
            try db.execute(sql: "DELETE FROM portal_sessions WHERE token_hash = ?", arguments: [tokenHash])
        }
    }

    public func deleteExpiredPortalSessions(before: Date) async throws -> Int {
        try await groupWriter.write { db in
            try db.execute(
                sql: "DELETE FROM portal_sessions WHERE expires_at < ?", arguments: [before.millisecondsSince1970])
            return db.changesCount
        }
    }
}
