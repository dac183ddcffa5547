"""What a profile job's process does to itself first, before any untrusted code runs: drop to its fresh uid for
good and set its per-process limits. Stdlib only, beside the grading worker (whose privilege drop it shares),
so a sandbox can mount the two alone."""

from __future__ import annotations

import os

from interpctf.sandbox.worker import drop_privileges


def confine(uid: int, *, cpu_seconds: float, memory_bytes: int, processes: int, file_bytes: int) -> None:
    """Become ``uid`` (when bubblewrap ran privileged) and set RLIMIT_CORE/CPU/AS/NPROC/FSIZE/NOFILE."""
    import resource
    import signal

    drop_privileges(uid)  # the grading worker's step: privileged bubblewrap runs us as root
    cpu = max(1, int(-(-cpu_seconds // 1)))
    for limit, soft, hard in (
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_CPU, cpu, cpu + 1),  # SIGXCPU at the soft limit, SIGKILL one second later
        (resource.RLIMIT_AS, memory_bytes, memory_bytes),
        (resource.RLIMIT_NPROC, processes, processes),
        (resource.RLIMIT_FSIZE, file_bytes, file_bytes),
        (resource.RLIMIT_NOFILE, 1024, 1024),
    ):
        resource.setrlimit(limit, (soft, hard))
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; dying tells the host "file too large"


def exit_when_the_host_goes() -> None:
    """The host holds our stdin open until it is done with us: EOF means it died. As pid 1 of the sandbox's pid
    namespace we ignore the parent-death signal, so this thread is what ends the job (and, pid 1 exiting, every
    process of the namespace) when the host dies. Started before any untrusted code, blocked in read() already."""
    import threading

    def watch() -> None:
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        os._exit(75)

    threading.Thread(target=watch, name="host-watch", daemon=True).start()


def read_spec_line(limit: int = 1 << 20) -> bytes:
    """The job's spec: the first line the host writes on stdin (which it keeps open), at most ``limit`` bytes."""
    data = b""
    while b"\n" not in data and len(data) < limit:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n")[0]
