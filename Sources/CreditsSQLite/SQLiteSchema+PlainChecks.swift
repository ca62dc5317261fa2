import Foundation
import GRDB

extension SQLiteSchema {
    /// `009_plain_checks`: CHECK constraints that list three or more allowed values (`status IN ('waiting',
    /// 'calling', …)`) rewritten as comparisons joined by OR, which mean the same thing.
    ///
    /// SQLite evaluates a constant IN list of more than two values by building a temporary B-tree of the
    /// values, once per statement execution: every insert into `entries` or `holds`, every save of an attempt
    /// (an upsert checks the insert and then the update) opened and freed one such tree per listed column.
    /// Profiles of `bench campaign` put a fifth of the writer's time in saving attempts, most of it there.
    /// An OR of equalities is evaluated in place. The rule for new tables is the same: no IN list of more than
    /// two constants in a CHECK (docs/performance.md); `SQLitePlainChecksTests` holds the schema to it.
    ///
    /// Each affected table is rebuilt the way SQLite documents for schema changes ALTER TABLE cannot make:
    /// a new table with the rewritten definition, its rows copied, the old one dropped, the new one renamed,
    /// and the old table's indexes and triggers created again from their stored SQL. Foreign keys are off
    /// during migrations and checked at the end (GRDB's deferred checks).
    static func registerPlainChecks(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("009_plain_checks") { db in
            let tables = try Row.fetchAll(
                db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL ORDER BY name")
            for table in tables {
                let name: String = table["name"]
                let definition: String = table["sql"]
                let plain = plainChecks(definition)
                guard plain != definition else { continue }
                try rebuild(name, as: plain, db)
            }
        }
    }

    /// `definition` with every `column IN ('a', 'b', 'c', …)` of three or more quoted values written as
    /// `(column = 'a' OR column = 'b' OR …)`; lists of one or two values stay (SQLite compares those in place).
    static func plainChecks(_ definition: String) -> String {
        // `name IN ('…', '…', …)`: a column and a list of quoted values without commas or quotes inside them.
        let inList = #/(\w+)\s+IN\s*\(\s*('[^',]*'(?:\s*,\s*'[^',]*')*)\s*\)/#.ignoresCase()
        return definition.replacing(inList) { match in
            let column = match.output.1
            let values = match.output.2.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard values.count > 2, column.uppercased() != "NOT" else { return String(match.output.0) }
            return "(" + values.map { "\(column) = \($0)" }.joined(separator: " OR ") + ")"
        }
    }

    /// Rebuilds table `name` with `definition` (same columns in the same order), keeping its rows, indexes and
    /// triggers.
    private static func rebuild(_ name: String, as definition: String, _ db: Database) throws {
        let companions = try String.fetchAll(
            db,
            sql: """
                SELECT sql FROM sqlite_master
                WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name
                """, arguments: [name])
        guard let open = definition.firstIndex(of: "(") else {
            throw DatabaseError(message: "cannot read the definition of table \(name)")
        }
        let temporary = "\(name)_plain"
        try db.execute(sql: "CREATE TABLE \(temporary) " + definition[open...])
        try db.execute(sql: "INSERT INTO \(temporary) SELECT * FROM \(name)")
        try db.execute(sql: "DROP TABLE \(name)")
        try db.execute(sql: "ALTER TABLE \(temporary) RENAME TO \(name)")
        for companion in companions { try db.execute(sql: companion) }
    }
}
