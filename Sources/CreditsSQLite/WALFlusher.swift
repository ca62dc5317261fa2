import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Makes committed WAL frames durable before their callers hear of them, off the writer's thread.
///
/// With `synchronous = FULL` SQLite flushes the WAL inside COMMIT, so the single writer waits for the
/// disk once per batch and builds nothing meanwhile. The group-commit writer instead commits its batches
/// with `synchronous = NORMAL` (frames written to the WAL, not yet flushed) and hands each batch's
/// resumptions here: they run only after a flush of the WAL that *began after that batch's COMMIT* has
/// returned. So an acknowledged write is on disk exactly as with FULL, while the writer goes on with the
/// next batch during the flush, and one flush covers every batch committed before it began.
///
/// What changes: a reader may see a committed write up to one flush before its caller is acknowledged;
/// a crash of the machine (not of the process) in that window loses writes nobody was told about.
/// A failed flush stops the process (as PostgreSQL does on a failed fsync): the kernel may have dropped
/// the unwritten pages, so only a restart and SQLite's recovery from what is on disk is safe.
final class WALFlusher: Sendable {
    private struct Progress {
        /// Batches committed so far (a sequence number per batch).
        var committed = 0
        /// Every batch up to this one is known to be on disk.
        var flushed = 0
        var flushes = 0
    }

    private let queue = DispatchQueue(label: "callcredits.wal-flush", qos: .userInitiated)
    private let progress = Mutex(Progress())
    /// Signalled after every flush, for a writer waiting in `waitForEarlierFlushes`.
    private let flushed = NSCondition()
    private let flush: @Sendable () throws -> Void

    /// `flush` makes everything written to the WAL so far durable (`WALFile.sync` in the store; tests
    /// pass their own to watch the order of events).
    init(flush: @escaping @Sendable () throws -> Void) {
        self.flush = flush
    }

    /// Flushes done since the flusher was made (for `bench` and tests).
    var flushes: Int { progress.withLock { $0.flushes } }

    /// Call on the writer right after COMMIT returned: `resumes` run once the batch is on disk.
    func committed(_ resumes: [@Sendable () -> Void]) {
        let batch = progress.withLock { progress -> Int in
            progress.committed += 1
            return progress.committed
        }
        queue.async {
            let upTo = self.progress.withLock { $0.flushed >= batch ? nil : $0.committed }
            if let upTo {
                do {
                    try self.flush()
                } catch {
                    fatalError(
                        "CallCredits: flushing the SQLite WAL failed (\(error)); stopping so that recovery starts from what is on disk"
                    )
                }
                self.progress.withLock {
                    $0.flushed = max($0.flushed, upTo)
                    $0.flushes += 1
                }
                self.flushed.lock()
                self.flushed.broadcast()
                self.flushed.unlock()
            }
            for resume in resumes { resume() }
        }
    }

    /// Blocks the writer until at most one committed batch is still waiting for its flush: the writer
    /// builds batch k+1 while batch k flushes, but no further, so that batches stay large (a commit
    /// rewrites the same pages whatever its size) and the flusher never falls behind.
    func waitForEarlierFlushes() {
        flushed.lock()
        defer { flushed.unlock() }
        while progress.withLock({ $0.committed - $0.flushed > 1 }) {
            flushed.wait()
        }
    }
}

/// The database's WAL file, opened once for flushing (`fdatasync`) beside SQLite's own handle.
final class WALFile: Sendable {
    struct FlushFailure: Error, CustomStringConvertible {
        let operation: String
        let code: Int32
        var description: String { "\(operation) failed: \(String(cString: strerror(code)))" }
    }

    private let path: String
    /// The open descriptor and the file's inode; reopened if SQLite ever replaced the file.
    private let handle = Mutex<(fd: Int32, inode: UInt64)?>(nil)

    init(databasePath: String) {
        path = databasePath + "-wal"
    }

    deinit {
        if let open = handle.withLock({ $0 }) { close(open.fd) }
    }

    /// Makes every byte written to the WAL so far durable.
    func sync() throws {
        try handle.withLock { handle in
            var current = stat()
            guard stat(path, &current) == 0 else { throw FlushFailure(operation: "stat \(path)", code: errno) }
            if let open = handle, open.inode != UInt64(current.st_ino) {
                close(open.fd)
                handle = nil
            }
            let fd: Int32
            if let open = handle {
                fd = open.fd
            } else {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw FlushFailure(operation: "open \(path)", code: errno) }
                handle = (fd, UInt64(current.st_ino))
            }
            guard fdatasync(fd) == 0 else { throw FlushFailure(operation: "fdatasync \(path)", code: errno) }
        }
    }
}
