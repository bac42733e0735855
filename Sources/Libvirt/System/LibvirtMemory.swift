internal import Glibc

/// The few libc calls the libvirt engine makes: freeing what libvirt
/// allocated, and owning a copy of a caller's descriptor while a call runs.
enum LibvirtMemory {
    /// Takes a string libvirt allocated (`char *result`) and frees it.
    static func takeString(_ pointer: UnsafeMutablePointer<CChar>) -> String {
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// Frees an array libvirt allocated (`virDomainPtr **domains`), after its elements were freed.
    static func freeArray(_ pointer: UnsafeMutableRawPointer) {
        free(pointer)
    }

    /// Closes the descriptors libvirt handed back (`int **outfiles`) and frees their array.
    static func closeReturned(_ descriptors: UnsafeMutablePointer<Int32>?, count: UInt32) {
        guard let descriptors else { return }
        for index in 0..<Int(count) { _ = Glibc.close(descriptors[index]) }
        free(descriptors)
    }

    /// A close-on-exec copy of `fd` that the engine owns while a call may still run; nil when `dup` fails.
    static func duplicate(_ fd: Int32) -> Int32? {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        return copy >= 0 ? copy : nil
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}
