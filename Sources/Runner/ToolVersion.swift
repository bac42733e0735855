/// qmpbook's version: what `--version` prints and every report's `qmpbook` field says.
public enum ToolVersion {
    public static let current = "0.1.0"
}
