import CreditsCore
import CreditsStore
import Foundation
import Logging
import Testing

@testable import CreditsServer

/// What a line-based reading of the document's `paths` finds: for each "METHOD /path", its statuses.
/// The document keeps a fixed layout (2 spaces per level), which this reader relies on.
func documentedOperations(_ yaml: String) -> [String: Set<Int>] {
    var operations: [String: Set<Int>] = [:]
    var inPaths = false
    var path: String?
    var operation: String?
    var inResponses = false
    for line in yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if !line.hasPrefix(" ") && !line.isEmpty {
            inPaths = line == "paths:"
            continue
        }
        guard inPaths else { continue }
        let indent = line.prefix { $0 == " " }.count
        let content = line.trimmingCharacters(in: .whitespaces)
        if indent == 2, content.hasPrefix("/"), content.hasSuffix(":") {
            path = String(content.dropLast())
            operation = nil
        } else if indent == 4, let path, ["get:", "post:", "put:", "patch:", "delete:"].contains(content) {
            operation = content.dropLast().uppercased() + " " + path
            operations[operation!] = []
            inResponses = false
        } else if indent == 6 {
            inResponses = content == "responses:"
        } else if indent == 8, inResponses, let operation, content.hasPrefix("'"), content.hasSuffix("':"),
            let status = Int(content.dropFirst().dropLast(2))
        {
            operations[operation]?.insert(status)
        }
    }
    return operations
}

@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    let api = CreditsAPI(
        store: MemoryStore(), clock: ManualClock(), configuration: ServerConfiguration(), metrics: ServerMetrics(),
        logger: quietLogger)

    private func document() throws -> [String: Set<Int>] {
        let data = try #require(api.openAPIDocument, "openapi.yaml is missing from the bundle")
        return documentedOperations(String(decoding: data, as: UTF8.self))
    }

    @Test func everyRegisteredRouteIsDocumentedWithItsMethod() throws {
        let documented = try document()
        for route in api.routes {
            #expect(
                documented["\(route.method) \(route.path)"] != nil, "\(route.method) \(route.path) is not documented")
        }
    }

    @Test func everyStatusARouteCanReturnIsDocumented() throws {
        let documented = try document()
        for route in api.routes {
            let listed = documented["\(route.method) \(route.path)"] ?? []
            let missing = route.statuses.subtracting(listed)
            #expect(missing.isEmpty, "\(route.method) \(route.path) does not document \(missing.sorted())")
        }
    }

    @Test func theDocumentDescribesNoRouteThatIsNotRegistered() throws {
        let registered = Set(api.routes.map { "\($0.method) \($0.path)" })
        for operation in try document().keys {
            #expect(registered.contains(operation), "\(operation) is documented but not registered")
        }
    }

    @Test func theErrorSchemaListsEveryCode() throws {
        let yaml = String(decoding: try #require(api.openAPIDocument), as: UTF8.self)
        let codes =
            RefusalCode.allCases.map(\.rawValue) + APIErrorCode.allCases.map(\.rawValue)
            + CallRefusalCode.allCases.map(\.rawValue) + RecipientCSVErrorCode.allCases.map(\.rawValue)
            + CampaignRefusalCode.allCases.map(\.rawValue)
        for code in codes {
            #expect(yaml.contains("            - \(code)\n"), "the Error schema does not list \(code)")
        }
    }

    @Test func theReaderFindsStatusesInTheDocumentsLayout() {
        let yaml = """
            paths:
              /a:
                get:
                  responses:
                    '200':
                      description: ok
                    '404':
                      $ref: '#/x'
            components:
              x: 1
            """
        #expect(documentedOperations(yaml) == ["GET /a": [200, 404]])
    }
}
