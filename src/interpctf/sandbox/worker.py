"""The warm server that runs inside the sandbox, and the wire formats it shares with the host.

Standalone on purpose: inside the sandbox only the Python standard library and numpy exist (``/work``, and so
``interpctf``, is not there), so this file imports nothing else. The host imports it too, for the formats.

Life of the server (pid 1 of the sandbox's pid namespace): drop to the sandbox uid, import numpy once, make
itself non-dumpable, then for every request read only the fixed-size header (sizes and limits), fork a fresh
child, tell the host it has forked (the host puts the child into the sandbox's resource group before it sends
the payload, which the child waits for), and supervise it: wall clock, output cap, result size, then SIGKILL every
other process in the namespace and report to the host. The host then mounts a new /tmp for the next answer.

The server never holds an answer's data: the child reads its own source and inputs straight from the host's
pipe, its output is spliced to /dev/null and its result frame is spliced into a memfd and from there to the
host, all inside the kernel. So a later answer, forked from the server, finds nothing of an earlier one in its
inherited memory. The server only decides what the kernel tells it (exit status, signals, times, byte counts);
the host validates the child's frame.
"""

from __future__ import annotations

import os
import struct
import sys

# --- wire formats -------------------------------------------------------------------------------------------
HELLO = struct.Struct("<4sI")  # host -> server once: b"ICHI", length of the answer seccomp filter that follows
READY = b"ICOK"  # server -> host once numpy is imported and privileges are dropped
# host -> server (header) then -> child (payload): magic, request id, n inputs, unpack, row kind (0 int64,
# 1 float64), row ndim, row dims (4), source length, function length, cpu s, wall s, memory, processes, output,
# file size; then the source, the function name and the rows.
REQUEST = struct.Struct("<4sQIBBB4IIHddQIQQ")
REQUEST_MAGIC = b"ICRQ"
# server -> host once the child is forked (it waits for its payload): magic, request id.
FORKED = struct.Struct("<4sQ")
FORKED_MAGIC = b"ICFK"
# server -> host: magic, request id, n, failure length, frame length; then the failure text and the child's frame.
RESPONSE = struct.Struct("<4sQIHI")
RESPONSE_MAGIC = b"ICRS"
# child -> host (relayed): magic, kind, n, message length; then the message and, for RESULTS, n statuses, n int64.
CHILD = struct.Struct("<4sBIH")
CHILD_MAGIC = b"ICCH"
CHILD_RESULTS, CHILD_FAILED, CHILD_MEMORY = 0, 1, 2
MAX_TEXT = 400
ROW_KINDS = {0: "<i8", 1: "<f8"}

_SANDBOX_SITE = "/opt/site"
_RESULT_FD = 3
_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS, _PR_SET_DUMPABLE, _PR_SET_SECCOMP = 1, 38, 4, 22
_SECCOMP_MODE_FILTER = 2


def max_frame(n: int) -> int:
    """The largest well-formed child frame for ``n`` inputs."""
    return CHILD.size + MAX_TEXT + 9 * n


def one_line(text: str, limit: int = MAX_TEXT) -> str:
    """Printable, single-line, bounded: every text that leaves a process goes through this."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _read_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))  # never past n: the rest of the stream is someone else's
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# ----------------------------------------------------------------------------------------------- the child
def _describe(exc: BaseException, index: int) -> str:
    try:  # str() of an answer's exception runs answer code; it may raise
        message = str(exc)
    except BaseException:
        message = ""
    name = type(exc).__name__
    return one_line(f"{name}: {message} (input {index})" if message else f"{name} (input {index})")


def _load(source: str, function: str):
    """Compile and run the answer's module; returns (function, None) or (None, one-line failure)."""
    import builtins
    import traceback

    try:
        code = compile(source, "<answer>", "exec")
    except SyntaxError as exc:
        return None, one_line(f"syntax error at line {exc.lineno}: {exc.msg}")
    except (ValueError, RecursionError) as exc:  # NUL bytes, absurd nesting
        return None, one_line(f"the answer cannot be compiled: {type(exc).__name__}: {exc}")
    namespace = {"__name__": "answer", "__builtins__": builtins}
    try:
        exec(code, namespace)
    except MemoryError:
        raise
    except BaseException as exc:
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<answer>"]
        where = f"line {lines[-1]}" if lines else "module level"
        what = _describe(exc, 0).removesuffix(" (input 0)")
        return None, one_line(f"error while loading the answer ({where}): {what}")
    fn = namespace.get(function)
    if fn is None:
        return None, f"no function '{function}' defined"
    if not callable(fn):
        return None, f"'{function}' is not a function"
    return fn, None


def _run_answer(source: str, function: str, rows, unpack: bool) -> bytes:
    """Call the answer on every row; returns the child frame."""
    import numpy as np
    from array import array

    n = len(rows)
    try:
        fn, failure = _load(source, function)
    except MemoryError:
        return CHILD.pack(CHILD_MAGIC, CHILD_MEMORY, n, 0)
    if failure is not None:
        text = failure.encode()[:MAX_TEXT]
        return CHILD.pack(CHILD_MAGIC, CHILD_FAILED, n, len(text)) + text
    int_types = {bool, int, np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                 np.uint64, np.longlong, np.ulonglong}
    values = array("q", bytes(8 * n))
    status = bytearray(n)
    first_exception = first_bad = None
    for i, row in enumerate(rows):
        try:
            value = fn(*row) if unpack else fn(row.copy())
        except MemoryError:
            return CHILD.pack(CHILD_MAGIC, CHILD_MEMORY, n, 0)
        except BaseException as exc:  # SystemExit, KeyboardInterrupt too: this input failed, the run goes on
            status[i] = 1
            if first_exception is None:
                first_exception = _describe(exc, i)
            continue
        kind = type(value)  # exact types only: a subclass could run code in __index__/__int__
        try:
            if kind is int or kind is bool:
                values[i] = value
            elif kind in int_types:
                values[i] = int(value)
            else:
                raise TypeError
        except (TypeError, OverflowError):
            status[i] = 2
            if first_bad is None:
                what = "an integer outside the 64-bit range" if kind is int else f"a {kind.__name__}"
                first_bad = one_line(f"returned {what}, not a 64-bit integer (input {i})")
    text = (first_exception or first_bad or "").encode()[:MAX_TEXT]
    return CHILD.pack(CHILD_MAGIC, CHILD_RESULTS, n, len(text)) + text + bytes(status) + values.tobytes()


def _child(head: dict, out_w: int, res_w: int, answer_filter: bytes, libc) -> None:
    """In the forked child: take the payload, isolate further, run the answer, write the frame. Never returns."""
    import resource
    import signal

    import numpy as np

    write = os.write  # bound now: the answer may replace os.write
    source = _read_exact(0, head["source_len"]).decode("utf-8", "replace")
    function = _read_exact(0, head["function_len"]).decode("utf-8", "replace")
    count = head["n"]
    for d in head["dims"]:
        count *= d
    rows = np.frombuffer(_read_exact(0, 8 * count), dtype=ROW_KINDS[head["kind"]]).reshape((head["n"], *head["dims"]))
    rows = rows.tolist() if head["unpack"] else rows  # plain Python ints for f(*row)
    os.setsid()  # own session and group: kill(0) from the answer reaches only its own processes
    os.chdir("/tmp")  # the /tmp mounted for this answer (the server itself stays in /)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)  # the host's pipe is gone from this process from here on
    os.dup2(out_w, 1)
    os.dup2(out_w, 2)
    os.dup2(res_w, _RESULT_FD)
    os.closerange(_RESULT_FD + 1, 1 << 16)  # the host's pipes, pidfds, memfds and the other pipe ends
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; dying says "file too large" clearly
    cpu = max(1, int(-(-head["cpu"] // 1)))
    for limit, soft, hard in (
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_CPU, cpu, cpu + 1),  # SIGXCPU at the soft limit, SIGKILL one second later
        (resource.RLIMIT_AS, head["memory"], head["memory"]),
        (resource.RLIMIT_NPROC, head["processes"] + 1, head["processes"] + 1),  # +1: the server
        (resource.RLIMIT_FSIZE, head["file"], head["file"]),
        (resource.RLIMIT_NOFILE, 64, 64),
    ):
        resource.setrlimit(limit, (soft, hard))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or libc.install_filter(answer_filter) != 0:
        os._exit(71)  # never run an answer without its filter
    frame = _run_answer(source, function, rows, head["unpack"])
    try:
        view = memoryview(frame)
        while view:
            view = view[write(_RESULT_FD, view):]
    except OSError:
        pass
    os._exit(0)


# ------------------------------------------------------------------------------------------------ the server
def _read_head(fd: int) -> dict:
    (magic, req_id, n, unpack, kind, ndim, d0, d1, d2, d3, source_len, function_len, cpu, wall, memory,
     processes, output, file_size) = REQUEST.unpack(_read_exact(fd, REQUEST.size))
    if magic != REQUEST_MAGIC or kind not in ROW_KINDS or ndim > 4:
        raise EOFError  # a confused host: stop rather than guess
    return dict(req_id=req_id, n=n, unpack=bool(unpack), kind=kind, dims=(d0, d1, d2, d3)[:ndim],
                source_len=source_len, function_len=function_len, cpu=cpu, wall=wall, memory=memory,
                processes=processes, output=output, file=file_size)


def _kill_everyone_else(child: int):
    """SIGKILL every process in the namespace but us (pid 1) and reap them; returns the child's wait status."""
    import signal

    status = rusage = None
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            pid, st, ru = os.wait4(-1, 0)
        except ChildProcessError:
            return status, rusage
        if pid == child:
            status, rusage = st, ru


def _watch(pid: int, out_r: int, res_r: int, frame_fd: int, head: dict):
    """Supervise the child; returns (failure or None, frame length, wait status, rusage).

    Output goes to /dev/null and the result frame into ``frame_fd`` by splice(2): counted, never read.
    """
    import select
    import signal
    import time

    devnull = os.open("/dev/null", os.O_WRONLY)
    limit_frame = max_frame(head["n"])
    counts = {out_r: 0, res_r: 0}
    failure = None
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    for fd in (out_r, res_r, pidfd):
        poller.register(fd, select.POLLIN)
    poller.register(0, 0)  # the host never writes during an answer: a hangup here means it is gone
    deadline = time.monotonic() + head["wall"]
    exited = False

    def pump(fd: int) -> bool:
        nonlocal failure
        moved = os.splice(fd, devnull if fd == out_r else frame_fd, 1 << 16)
        counts[fd] += moved
        if counts[out_r] > head["output"] and failure is None:
            failure = "output limit exceeded"
        if counts[res_r] > limit_frame and failure is None:
            failure = "the answer tampered with the result channel"
        return moved > 0

    for fd in (out_r, res_r):
        os.set_blocking(fd, False)
    while not exited and failure is None:
        left = deadline - time.monotonic()
        if left <= 0:
            failure = f"time limit exceeded ({head['wall']:g} s wall)"
            break
        for fd, _event in poller.poll(max(1, int(left * 1000))):
            if fd == 0:
                _kill_everyone_else(pid)
                os._exit(0)
            if fd == pidfd:
                exited = True
            else:
                try:
                    if not pump(fd):
                        poller.unregister(fd)
                except BlockingIOError:
                    pass
    if not exited:
        os.kill(pid, signal.SIGKILL)
    status, rusage = _kill_everyone_else(pid)
    os.close(pidfd)
    for fd in (out_r, res_r):  # every writer is dead now: drain what is left, still under the caps
        try:
            while failure is None and pump(fd):
                pass
        except BlockingIOError:
            pass
        os.close(fd)
    os.close(devnull)
    return failure, counts[res_r], status, rusage


def _judge(head: dict, failure, status, rusage):
    """What the kernel says happened to the child, as a one-line failure or None."""
    import signal

    if failure is not None or status is None:
        return failure or "the answer vanished"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        cpu = rusage.ru_utime + rusage.ru_stime if rusage is not None else 0.0
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= max(1, -(-head["cpu"] // 1)) - 0.05):
            return f"time limit exceeded ({head['cpu']:g} s CPU)"
        if sig == signal.SIGXFSZ:
            return "file size limit exceeded"
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = "unknown"
        return f"killed by signal {sig} ({name})"
    if os.WEXITSTATUS(status) != 0:
        return f"the answer exited with status {os.WEXITSTATUS(status)} before returning results"
    return None


def _serve_one(head: dict, answer_filter: bytes, libc) -> None:
    out_r, out_w = os.pipe()
    res_r, res_w = os.pipe()
    frame_fd = os.memfd_create("frame")
    pid = os.fork()
    if pid == 0:
        try:
            _child(head, out_w, res_w, answer_filter, libc)
        finally:
            os._exit(70)
    os.close(out_w)
    os.close(res_w)
    _write_all(1, FORKED.pack(FORKED_MAGIC, head["req_id"]))
    failure, frame_len, status, rusage = _watch(pid, out_r, res_r, frame_fd, head)
    failure = _judge(head, failure, status, rusage)
    fail_b = (failure or "").encode()[:MAX_TEXT]
    frame_len = 0 if failure else frame_len
    _write_all(1, RESPONSE.pack(RESPONSE_MAGIC, head["req_id"], head["n"], len(fail_b), frame_len) + fail_b)
    offset = 0
    while offset < frame_len:  # memfd -> host pipe, inside the kernel
        offset += os.sendfile(1, frame_fd, offset, frame_len - offset)
    os.close(frame_fd)


class _Libc:
    """prctl through ctypes, with full-width arguments (the kernel rejects garbage in unused ones)."""

    def __init__(self, ctypes) -> None:
        self._ctypes = ctypes
        self.prctl = ctypes.CDLL(None, use_errno=True).prctl
        self.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
        self.prctl.restype = ctypes.c_int

    def install_filter(self, program: bytes) -> int:
        """prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &sock_fprog)."""
        ct = self._ctypes
        filters = ct.create_string_buffer(program, len(program))
        fprog = ct.create_string_buffer(struct.pack("@HQ", len(program) // 8, ct.addressof(filters)))
        return self.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ct.addressof(fprog), 0, 0)


def drop_privileges(uid: int) -> None:
    """Started as root by a privileged bubblewrap: become ``uid`` for good before anything else runs."""
    if os.getuid() != 0:
        return  # unprivileged bubblewrap: we already are the host's unprivileged user
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    try:
        os.setuid(0)
    except PermissionError:
        return
    os._exit(72)  # regaining root must be impossible


def main() -> None:
    import ctypes
    import signal

    drop_privileges(int(sys.argv[1]))
    libc = _Libc(ctypes)
    # Changing uid cleared bubblewrap's --die-with-parent (PR_SET_PDEATHSIG); set it again. If bubblewrap died
    # in between, the host's end of stdin is closed too, which the server also treats as "exit now".
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        os._exit(74)
    os.environ.clear()  # our own settings only; the host's environment never entered (bwrap --clearenv)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"  # no BLAS threads in the server: children are forked from it
    sys.path.append(_SANDBOX_SITE)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # pid 1 only receives signals it handles: handle none
    import numpy  # noqa: F401  (imported once here; every answer's child inherits it)
    import array, builtins, gc, resource, select, time, traceback  # noqa: F401,E401  (same: for children)

    gc.freeze()  # what is loaded now is never scanned by the children's collector, so never copied-on-write

    magic, filter_len = HELLO.unpack(_read_exact(0, HELLO.size))
    if magic != b"ICHI":
        os._exit(73)
    answer_filter = _read_exact(0, filter_len)
    _write_all(1, READY)
    while True:
        try:
            head = _read_head(0)
        except EOFError:
            os._exit(0)  # the host went away
        _serve_one(head, answer_filter, libc)


if __name__ == "__main__":
    main()
