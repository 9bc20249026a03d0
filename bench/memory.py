"""Peak memory of the running benchmark process."""

import resource


def peak_rss_mb() -> float:
    """This process's own peak resident set in MB.

    VmHWM starts afresh at exec, whereas ru_maxrss survives fork and exec, so a child spawned
    after the parent seeded a county would otherwise report the parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
