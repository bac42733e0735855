/// "Did you mean" for names: the candidate closest to a misspelling.
///
/// Names are compared case-insensitively with `_` and `-` equal (QMP mixes
/// `device_add` and `blockdev-add`), by optimal-string-alignment distance
/// (insertions, deletions, substitutions, and swaps of neighbours each cost
/// one). A candidate is suggested only within a distance that grows with the
/// name's length: 1 up to 3 characters, 2 up to 7, else 3. Ties go to the
/// candidate whose length is nearer the name's, then to the earliest.
package enum NameSuggestion {
    /// ` (did you mean 'NAME'?)` for the candidate closest to `name`, or an
    /// empty string: the one wording of every "did you mean" in qmpbook.
    package static func hint<Candidates: Sequence<String>>(for name: String, among candidates: Candidates) -> String {
        wording(closest(to: name, among: candidates))
    }

    /// ` (did you mean 'NAME'?)`, or an empty string when there is no candidate.
    package static func wording(_ candidate: String?) -> String {
        candidate.map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// The closest candidate within the allowed distance, or nil.
    package static func closest<Candidates: Sequence<String>>(to name: String, among candidates: Candidates) -> String? {
        let target = normalized(name)
        let limit = target.count <= 3 ? 1 : target.count <= 7 ? 2 : 3
        var best: (name: String, score: (Int, Int))?
        for candidate in candidates where candidate != name {
            let other = normalized(candidate)
            let lengthDifference = abs(other.count - target.count)
            // Lengths differing by more than the limit cannot be within it.
            guard lengthDifference <= limit else { continue }
            let distance = distance(target, other, limit: limit)
            // Among equally distant names, one of the same length (a swap or a wrong letter) wins.
            let score = (distance, lengthDifference)
            if distance <= limit, best.map({ score < $0.score }) ?? true {
                best = (candidate, score)
            }
        }
        return best?.name
    }

    static func normalized(_ name: String) -> [UInt8] {
        name.utf8.map { byte in
            switch byte {
            case UInt8(ascii: "_"): return UInt8(ascii: "-")
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte + 32
            default: return byte
            }
        }
    }

    /// The optimal-string-alignment distance of `a` and `b`; any result above `limit` means "too far".
    static func distance(_ a: [UInt8], _ b: [UInt8], limit: Int = Int.max) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let width = b.count + 1
        var previous2 = [Int](repeating: 0, count: width)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: width)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
                rowMinimum = min(rowMinimum, value)
            }
            if rowMinimum > limit { return rowMinimum }
            swap(&previous2, &previous)
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
