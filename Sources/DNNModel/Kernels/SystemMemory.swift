// What the machine lets a process map: the address-space limit (ulimit -v) and what is mapped already.
// The memory estimate compares a run with it; the matrix multiply sizes its buffers by it.

import Foundation

public enum SystemMemory {
    /// Bytes of address space left under RLIMIT_AS, less 64 MiB for the run's own small allocations;
    /// nil when the limit is infinite.
    public static var addressSpaceRoom: Int? {
        guard let limit = addressSpaceLimit else { return nil }
        return limit - mappedBytes - (64 << 20)
    }

    /// The soft RLIMIT_AS, nil when unlimited.
    public static var addressSpaceLimit: Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
              limit.rlim_cur < UInt64(Int.max) else { return nil }
        return Int(limit.rlim_cur)
    }

    /// The process's mapped address space (/proc/self/statm's first field), 0 where unknown.
    static var mappedBytes: Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").first.flatMap({ Int($0) }) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
