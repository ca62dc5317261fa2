import Foundation
import GRDB
import GRDBSQLite

/// A bound value for the hot path's statements.
enum SQLValue {
    case text(String)
    case integer(Int64)
    case blob(Data)
    case null

    static func text(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    static func integer(_ value: Int64?) -> SQLValue { value.map(SQLValue.integer) ?? .null }
}

/// The columns of the current result row, read by position.
struct Columns {
    fileprivate let handle: OpaquePointer
    /// Where this record's columns start in the row (a join puts two records side by side).
    private var base: Int32 = 0

    fileprivate init(handle: OpaquePointer) { self.handle = handle }

    /// The same row, read from column `offset` on.
    func shifted(by offset: Int32) -> Columns {
        var shifted = self
        shifted.base += offset
        return shifted
    }

    func isNull(_ index: Int32) -> Bool { sqlite3_column_type(handle, base + index) == SQLITE_NULL }

    func text(_ index: Int32) -> String { String(cString: sqlite3_column_text(handle, base + index)) }

    func optionalText(_ index: Int32) -> String? { isNull(index) ? nil : text(index) }

    func integer(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, base + index) }

    func blob(_ index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, base + index))
        guard count > 0, let bytes = sqlite3_column_blob(handle, base + index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    func optionalInteger(_ index: Int32) -> Int64? { isNull(index) ? nil : integer(index) }
}

/// Runs GRDB's cached, prepared statements through SQLite's C API on the write path.
///
/// Measured on the ledger bench: GRDB builds a column-name dictionary for every cursor it opens and
/// boxes every argument; on a path of ~13 statements per lifecycle that was a third of the writer's
/// time. Statements are still prepared and cached by GRDB (`cachedStatement`); only binding and
/// stepping happen here. Every statement is reset after use, so no read stays open.
enum RawStatement {
    /// The rows the statement returns, decoded in place.
    static func query<T>(_ statement: Statement, _ values: [SQLValue], _ decode: (Columns) -> T) throws -> [T] {
        let handle = statement.sqliteStatement
        try bind(handle, values)
        defer { finish(handle) }
        var results: [T] = []
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_ROW {
                results.append(decode(Columns(handle: handle)))
            } else if code == SQLITE_DONE {
                return results
            } else {
                throw error(handle, code, statement)
            }
        }
    }

    /// The first row the statement returns, if any.
    static func first<T>(_ statement: Statement, _ values: [SQLValue], _ decode: (Columns) -> T) throws -> T? {
        let handle = statement.sqliteStatement
        try bind(handle, values)
        defer { finish(handle) }
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return decode(Columns(handle: handle)) }
        if code == SQLITE_DONE { return nil }
        throw error(handle, code, statement)
    }

    /// Runs a statement that returns no rows.
    static func execute(_ statement: Statement, _ values: [SQLValue] = []) throws {
        let handle = statement.sqliteStatement
        try bind(handle, values)
        defer { finish(handle) }
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW { code = sqlite3_step(handle) }
        guard code == SQLITE_DONE else { throw error(handle, code, statement) }
    }

    /// SQLite copies bound text at once (SQLITE_TRANSIENT), so the Swift string may go away.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Resets first: GRDB leaves a statement it ran to completion un-reset, and the same cached statement (same SQL
    /// text) may be run by GRDB on one path and here on another; binding a stepped statement is SQLITE_MISUSE.
    private static func bind(_ handle: OpaquePointer, _ values: [SQLValue]) throws {
        sqlite3_reset(handle)
        precondition(Int(sqlite3_bind_parameter_count(handle)) == values.count, "wrong number of SQL arguments")
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .text(let text): code = sqlite3_bind_text(handle, index, text, -1, transient)
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .blob(let data):
                code = data.withUnsafeBytes { bytes in
                    // A zero-length blob still needs a non-null pointer to be a blob, not NULL.
                    sqlite3_bind_blob(
                        handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count),
                        transient)
                }
            case .null: code = sqlite3_bind_null(handle, index)
            }
            guard code == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot bind argument \(index)")
            }
        }
    }

    private static func finish(_ handle: OpaquePointer) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    private static func error(_ handle: OpaquePointer, _ code: Int32, _ statement: Statement) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))),
            sql: statement.sql)
    }
}

extension Database {
    /// The rows of a cached statement, decoded in place.
    func rows<T>(_ sql: String, _ values: [SQLValue] = [], _ decode: (Columns) -> T) throws -> [T] {
        try RawStatement.query(cachedStatement(sql: sql), values, decode)
    }

    /// The first row of a cached statement, if any.
    func firstRow<T>(_ sql: String, _ values: [SQLValue] = [], _ decode: (Columns) -> T) throws -> T? {
        try RawStatement.first(cachedStatement(sql: sql), values, decode)
    }
}
