import FoundationEssentials

extension String {
    /// The folder part of a file path, as `NSString.deletingLastPathComponent`
    /// gives it: `/tmp/a/b.yaml` → `/tmp/a`, `/b.yaml` → `/`, `b.yaml` → ``
    /// (trailing slashes of the path ignored).
    package var pathFolder: String {
        var path = Substring(self)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        guard let slash = path.lastIndex(of: "/") else { return "" }
        if slash == path.startIndex { return "/" }
        var folder = path[..<slash]
        while folder.count > 1, folder.hasSuffix("/") { folder = folder.dropLast() }
        return String(folder)
    }
}

extension String {
    /// The path made absolute (against `folder`, by default the working
    /// folder) with `.` and `..` parts and repeated slashes resolved, without
    /// following links: what `URL(fileURLWithPath:).standardizedFileURL.path` gives.
    package func standardizedPath(relativeTo folder: String = FileManager.default.currentDirectoryPath) -> String {
        let whole = hasPrefix("/") ? self : folder + "/" + self
        var parts: [Substring] = []
        for part in whole.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The path with every byte outside RFC 3986's path characters
    /// (letters, digits, `-._~!$&'()*+,;=:@/`) percent-encoded, for a link in
    /// a page.
    package var percentEncodedPath: String {
        let allowed = Set("-._~!$&'()*+,;=:@/".utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var encoded = ""
        for byte in utf8 {
            let isLetterOrDigit = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if isLetterOrDigit || allowed.contains(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return encoded
    }
}
