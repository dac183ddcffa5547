"""Run untrusted answer code isolated: bubblewrap namespaces + seccomp + a cgroup (or watchdog) + rlimits + an
unprivileged uid.

Threat model
------------
*What an attacker controls.* The full text of a Python answer file, and so arbitrary code (including ctypes and
raw syscalls) running in the sandboxed process from its first line, for as long as the limits allow; also the
objects its function returns. The attacker may submit many answers, one after another, to the same warm sandbox.

*What is protected, and by what.*

- The key file, the grader's other files and the host file system: a private mount namespace (bubblewrap) whose
  root is an empty tmpfs; only the Python installation, numpy and the system libraries are bound in, read-only.
  ``/root``, ``/work``, ``/home``, ``/etc`` and the host's ``/proc`` and ``/sys`` do not exist inside. The only
  writable place is a size-capped tmpfs ``/tmp``, mounted new for every answer (``tmpfs.py``: a helper on the
  host joins the sandbox's mount namespace and swaps the tmpfs between answers; nothing inside can mount). The
  code runs as a fresh
  unprivileged host uid without capabilities and with PR_SET_NO_NEW_PRIVS, so even a file that leaked in
  would be guarded by ordinary permissions.
- Environment secrets: ``--clearenv`` (bubblewrap is also started with an empty environment); the server clears
  the rest before any answer runs.
- The network: a new network namespace holding only its own loopback, and seccomp refuses ``socket``.
- The grader process and the machine's other processes: a new pid namespace (nothing outside is visible or
  signalable), ``--die-with-parent``, ``--new-session`` (no terminal injection); seccomp refuses ptrace,
  process_vm_*, kcmp, pidfd_getfd, new namespaces, mounts, keyrings, BPF, perf, io_uring, userfaultfd, module
  loading and host settings; foreign syscall ABIs kill the process. The filters are built with libseccomp for
  the machine's architecture (``seccomp.ARCHES``); on any other, or without libseccomp, nothing runs.
- The warm server and later answers: each answer runs in its own forked child, as pid >= 2 under the server
  (pid 1, which the kernel shields from signals it does not handle); the server is non-dumpable (no ptrace,
  no memory access), the child's own seccomp filter refuses exec and any signal to pid 1 or -1, and after every
  answer the server SIGKILLs every other process in the namespace and the host replaces ``/tmp`` (the old
  tmpfs is detached and freed, so no deletion can be defeated by deep or locked directories). SysV IPC and
  POSIX message queues are refused so no state survives between answers.
- Other solvers' answers (their source, output and results): the server never reads them. Each child reads its
  own source and inputs straight from the host's pipe; its output is spliced to /dev/null and its result frame
  into a memfd and on to the host, inside the kernel. A child, forked from the server, so inherits no trace of
  an earlier answer in its memory (tested by scanning that memory).
- The integrity of results: the result frame travels over a pipe that only the child has; the host checks the
  request id, the sizes and every field, and kills the sandbox if the server's own stream is off. Failures
  (time, memory, output, signals) are decided by the server from what the kernel reports, not from what the
  child says. An answer can therefore only decide its own values, which it could anyway by returning them.
- The machine's resources: memory and processes are budgeted for the whole answer, every process it forks,
  its ``/tmp`` files and memfds together (``cgroup.py``: a cgroup v2 or v1 memory + pids group where the host
  allows one, else a watchdog that sums the answer's memory and kills it over the budget); the server joins the
  group before any answer and each answer's child is born inside it, its OOM score raised so the kernel kills
  the answer, never the server. Going over is reported as "memory limit exceeded", decided by the host from the
  kernel's OOM count (or the watchdog), never by the answer. Per process, as a backstop: RLIMIT_CPU (SIGXCPU
  then SIGKILL), RLIMIT_AS (the same budget), RLIMIT_NPROC (enforced: the uid is not root), RLIMIT_FSIZE,
  RLIMIT_NOFILE, RLIMIT_CORE 0, output read at most ``output_bytes`` then killed, a wall clock enforced by the
  server and, as a backstop, by the host, which kills the whole sandbox.

*The forge profile* (:mod:`interpctf.sandbox.forge_profile`) runs a whole league job (a proposer's recipe forged,
a proposer's plant checked) in a sandbox of its own with torch and the package read-only, no network, one writable
output folder and per-event budgets; its report is a claim the host validates (see that module).

*Out of scope.* Kernel vulnerabilities reachable through the allowed syscalls; timing side channels and
Spectre-class leaks; denial of service within the limits (e.g. an answer using its full CPU and wall time, or
creating many small files within the /tmp size cap; in watchdog mode, memory allocated faster than one poll,
10 ms, beyond the budget, which RLIMIT_AS bounds per process); a compromised grader host; answers that collude with
each other through the grader's public outputs. Without bubblewrap nothing runs: SandboxUnavailable is raised.
"""

from interpctf.sandbox.limits import Limits
from interpctf.sandbox.pool import check_available, map_function
from interpctf.sandbox.result import BAD_VALUE, OK, RAISED, MapResult
from interpctf.sandbox.warm import WarmSandbox

__all__ = [
    "BAD_VALUE",
    "OK",
    "RAISED",
    "Limits",
    "MapResult",
    "WarmSandbox",
    "check_available",
    "map_function",
]
