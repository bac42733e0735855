/// Steps and every step nested in them (inside blocks and includes), in the
/// order they are written: a block comes before its steps, then its
/// `rescue` and `always` steps. It walks the playbook's own arrays, so
/// going through 50,000 steps copies none of them into a new array.
///
/// ```swift
/// for step in playbook.allSteps where step.redact { … }
/// let first = playbook.allMainSteps.first { $0.id == "boot" }
/// ```
public struct StepTree: Sequence, Sendable {
    private let lists: [[Step]]

    /// The steps of `lists`, one list after the other, each with its nested steps.
    public init(_ lists: [Step]...) {
        self.lists = lists
    }

    /// How many steps there are, nested ones included.
    public var count: Int { reduce(0) { total, _ in total + 1 } }

    public func makeIterator() -> Iterator { Iterator(pending: lists.reversed().map { ($0, 0) }) }

    public struct Iterator: IteratorProtocol {
        /// The lists being walked, innermost last, each with the position of its next step.
        var pending: [(steps: [Step], next: Int)]

        public mutating func next() -> Step? {
            while let last = pending.indices.last {
                let (steps, position) = pending[last]
                guard position < steps.count else {
                    pending.removeLast()
                    continue
                }
                pending[last].next = position + 1
                let step = steps[position]
                if step.kind.isGroup { pending.append((step.children, 0)) }
                return step
            }
            return nil
        }
    }
}
