/// How a peer that speaks QMP's JSON frames its conversation.
///
/// QEMU's monitor greets first; a QEMU guest agent sends no greeting and
/// prefixes its `guest-sync-delimited` reply with a 0xFF byte, before which
/// anything (a half-sent reply from an earlier client, noise on a serial
/// line) is to be dropped.
struct MonitorDialect: Sendable {
    /// Whether the peer's first message is a greeting.
    var hasGreeting: Bool
    /// A byte that starts a message afresh: what precedes it on its line is dropped.
    var sentinel: UInt8?

    static let qmp = MonitorDialect(hasGreeting: true, sentinel: nil)
    static let guestAgent = MonitorDialect(hasGreeting: false, sentinel: 0xFF)
}
