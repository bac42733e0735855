/// How a target is reached: its kind key, as playbooks write it and the report names it (`mode`).
public enum TargetKind: String, Sendable, CaseIterable {
    case launch, connect, listen, libvirt
}
