import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Copies the WAL back into the database file mostly beside the writer, not inside its COMMIT.
///
/// SQLite's automatic checkpoint runs in the COMMIT that takes the WAL past its threshold: the one writer
/// copies thousands of pages into the database file and waits for that file's flush, and every caller queued
/// behind it waits too (a fifth of `bench campaign`'s time, whose history outgrows the page cache). The
/// group-commit writer's connection has no automatic checkpoint; its WAL hook calls `walGrew(to:)` after
/// every commit instead. Each time the WAL has grown by `threshold` frames this runs a PASSIVE checkpoint on
/// its own connection and thread: it takes no lock the writer needs; like SQLite's own it flushes the WAL
/// before copying and the database file after, and copies only frames no reader still needs.
///
/// A checkpoint beside a writer that never pauses never quite catches up, and the WAL starts over only at a
/// commit after one that did: left alone it would grow without bound (and a growing file costs every flush
/// its metadata). So once the WAL holds `writerThreshold` frames (four times `threshold`), the writer
/// checkpoints itself in the hook, as SQLite's automatic checkpoint would — by then the pages are mostly
/// copied, so it has little left to do.
///
/// A failed checkpoint loses nothing (the frames stay in the WAL, which recovery reads); it is counted and a
/// later commit tries again.
final class WALCheckpointer: Sendable {
    /// Frames in the WAL that ask for a checkpoint (SQLite's `wal_autocheckpoint`, in pages).
    static let framesDefault = 4_000

    private struct State {
        /// The WAL's frames when the last checkpoint was asked for (0 once the writer started the WAL over).
        var askedAt = 0
        var running = false
        /// A commit past the threshold arrived while a checkpoint ran: run another after it.
        var again = false
        var checkpoints = 0
        var failures = 0
        var byWriter = 0
    }

    private let threshold: Int
    private let writerThreshold: Int
    private let checkpoint: @Sendable () throws -> Void
    private let queue = DispatchQueue(label: "callcredits.wal-checkpoint", qos: .utility)
    private let state = Mutex(State())

    /// `checkpoint` copies the WAL into the database (`passive(path:)` in the store; tests pass their own).
    /// `writerThreshold` (by default four times `threshold`) is where the writer checkpoints itself.
    init(threshold: Int = framesDefault, writerThreshold: Int? = nil, checkpoint: @escaping @Sendable () throws -> Void)
    {
        precondition(threshold > 0, "the threshold must be positive")
        self.threshold = threshold
        self.writerThreshold = writerThreshold ?? 4 * threshold
        self.checkpoint = checkpoint
    }

    /// Since the checkpointer was made (for `bench` and tests).
    var counts: WALCheckpointCounts {
        state.withLock { ($0.checkpoints, $0.failures, $0.byWriter) }
    }

    /// Called on the writer's thread after a commit left `frames` frames in the WAL. Returns whether the writer
    /// must checkpoint now, itself; otherwise returns at once, perhaps having started one beside it.
    ///
    /// Asks for a checkpoint beside the writer each time the WAL grew by `threshold` frames since the last ask:
    /// while readers keep it from starting over, the WAL stays past the threshold, and a checkpoint per commit
    /// would keep the disk flushing the database file for a few pages each time.
    func walGrew(to frames: Int) -> Bool {
        let (start, byWriter) = state.withLock { state -> (Bool, Bool) in
            if frames < state.askedAt { state.askedAt = 0 }  // the writer started the WAL over
            if frames >= writerThreshold {
                state.byWriter += 1
                return (false, true)
            }
            guard frames - state.askedAt >= threshold else { return (false, false) }
            state.askedAt = frames
            guard !state.running else {
                state.again = true
                return (false, false)
            }
            state.running = true
            return (true, false)
        }
        if start { queue.async { self.run() } }
        return byWriter
    }

    /// Makes the writer connection of `pool` call `walGrew(to:)` after each commit instead of checkpointing
    /// in it. The hook does not retain the checkpointer: its owner keeps it for as long as the pool writes.
    func install(on pool: DatabasePool) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        pool.writeWithoutTransaction { db in
            // Replaces SQLite's automatic checkpoint, which is itself a WAL hook (and checkpoints the same way
            // when asked to: a busy or failed checkpoint here fails nothing, a later commit tries again).
            _ = sqlite3_wal_hook(
                db.sqliteConnection,
                { context, connection, name, frames in
                    guard let context else { return SQLITE_OK }
                    let checkpointer = Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
                    if checkpointer.walGrew(to: Int(frames)) {
                        _ = sqlite3_wal_checkpoint_v2(connection, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                    }
                    return SQLITE_OK
                }, context)
        }
    }

    private func run() {
        while true {
            let succeeded: Bool
            do {
                try checkpoint()
                succeeded = true
            } catch {
                succeeded = false
            }
            let again = state.withLock { state -> Bool in
                if succeeded { state.checkpoints += 1 } else { state.failures += 1 }
                guard state.again else {
                    state.running = false
                    return false
                }
                state.again = false
                return true
            }
            guard again else { return }
        }
    }

    /// A PASSIVE checkpoint of the database at `path` on a connection of its own, opened on first use (at
    /// `synchronous = FULL`, SQLite's default: the WAL is flushed before copying, the file after). SQLITE_BUSY
    /// is no failure: another checkpoint (the writer's own) holds the checkpoint lock and copies the frames.
    static func passive(path: String) -> @Sendable () throws -> Void {
        let connection = Mutex<DatabaseQueue?>(nil)
        return {
            let queue = try connection.withLock { connection in
                if let open = connection { return open }
                var configuration = Configuration()
                configuration.busyMode = .timeout(10)
                let open = try DatabaseQueue(path: path, configuration: configuration)
                connection = open
                return open
            }
            do {
                try queue.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                return
            }
        }
    }
}

/// Checkpoints run beside the writer, those that failed (a later one tries again), and those the writer ran
/// itself because the WAL grew too long.
public typealias WALCheckpointCounts = (checkpoints: Int, failures: Int, byWriter: Int)
