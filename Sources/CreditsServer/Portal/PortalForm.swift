import Foundation

/// A submitted HTML form: `application/x-www-form-urlencoded` or `multipart/form-data` (file uploads), read into
/// fields and files by name. Only what the portal's own forms send is understood.
struct PortalForm: Sendable {
    var fields: [String: String] = [:]
    /// Uploaded files' contents by field name (empty files are left out).
    var files: [String: Data] = [:]

    subscript(_ name: String) -> String? { fields[name] }

    /// Reads `body` as the `contentType` says.
    init(body: Data, contentType: String?) {
        let type = contentType ?? ""
        if type.lowercased().hasPrefix("multipart/form-data"), let boundary = Self.boundary(type) {
            self.init(multipart: body, boundary: boundary)
        } else {
            self.init(urlEncoded: String(decoding: body, as: UTF8.self))
        }
    }

    init(fields: [String: String]) { self.fields = fields }

    /// `a=1&b=two+words`: `+` is a space, then percent-decoding; the first value of a name wins.
    init(urlEncoded text: String) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            if fields[name] == nil { fields[name] = value }
        }
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    private static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    /// RFC 7578: parts between `--boundary` lines, each with headers, a blank line and the content.
    private init(multipart body: Data, boundary: String) {
        let delimiter = Data("--\(boundary)".utf8)
        let headerEnd = Data("\r\n\r\n".utf8)
        var parts: [Data] = []
        var searchFrom = body.startIndex
        var partStart: Data.Index?
        while let range = body.range(of: delimiter, in: searchFrom..<body.endIndex) {
            if let start = partStart {
                // The part ends with CRLF before the next delimiter.
                var end = range.lowerBound
                if end - start >= 2, body[end - 2] == 13, body[end - 1] == 10 { end -= 2 }
                parts.append(body.subdata(in: start..<end))
            }
            var next = range.upperBound
            if next + 1 < body.endIndex, body[next] == 13, body[next + 1] == 10 { next += 2 }
            partStart = next
            searchFrom = range.upperBound
        }
        for part in parts {
            guard let split = part.range(of: headerEnd) else { continue }
            let headers = String(decoding: part.subdata(in: part.startIndex..<split.lowerBound), as: UTF8.self)
            let content = part.subdata(in: split.upperBound..<part.endIndex)
            guard
                let disposition = headers.split(separator: "\r\n").first(where: {
                    $0.lowercased().hasPrefix("content-disposition:")
                })
            else { continue }
            guard let name = Self.parameter("name", in: String(disposition)) else { continue }
            if Self.parameter("filename", in: String(disposition)) != nil {
                if !content.isEmpty, files[name] == nil { files[name] = content }
            } else if fields[name] == nil {
                fields[name] = String(decoding: content, as: UTF8.self)
            }
        }
    }

    private static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";") {
            let pair = piece.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == name {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }
}
