// Helpers shared by the test targets: launching a real QEMU, temporary
// folders, the built qmpbook binary, leak checks.
