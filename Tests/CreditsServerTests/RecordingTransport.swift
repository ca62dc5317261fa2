import CreditsServer
import Foundation
import Synchronization

/// A webhook transport that answers from a script and remembers every request, so sender tests need
/// no network. With the script used up it answers 200.
final class RecordingTransport: WebhookTransport {
    /// One request as it was sent.
    struct Sent: Sendable {
        var url: String
        var headers: [String: String]
        var body: String
    }

    /// A scripted answer: a status code, or no response at all.
    enum Answer: Sendable {
        case status(Int)
        case noResponse
    }

    struct Unreachable: Error, CustomStringConvertible {
        var description: String { "connection refused" }
    }

    private let state: Mutex<(answers: [Answer], sent: [Sent])>

    init(_ answers: [Answer] = []) {
        state = Mutex((answers, []))
    }

    var sent: [Sent] { state.withLock { $0.sent } }

    func post(
        url: String, headers: [(name: String, value: String)], body: [UInt8], timeoutSeconds: Double
    ) async throws -> Int {
        let answer = state.withLock { state -> Answer in
            state.sent.append(
                Sent(
                    url: url, headers: Dictionary(headers.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }),
                    body: String(decoding: body, as: UTF8.self)))
            return state.answers.isEmpty ? .status(200) : state.answers.removeFirst()
        }
        switch answer {
        case .status(let code): return code
        case .noResponse: throw Unreachable()
        }
    }

    func shutdown() async throws {}
}
