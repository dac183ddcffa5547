"""WarmSandbox: one bubblewrap sandbox started once, running many answers, one fresh child each."""

from __future__ import annotations

import itertools
import os
import selectors
import signal
import threading
import time

import numpy

from interpctf.errors import SandboxUnavailable
from interpctf.sandbox import launcher, seccomp, worker
from interpctf.sandbox.cgroup import ResourceGroup, children_of
from interpctf.sandbox.limits import Limits
from interpctf.sandbox.result import BAD_VALUE, OK, RAISED, MapResult
from interpctf.sandbox.tmpfs import FreshTmp

START_SECONDS = 60.0  # starting Python and importing numpy; generous because the 2 cores are shared
GRACE_SECONDS = 5.0  # how long past the wall limit the host waits for the server before killing the sandbox
MAX_SOURCE_BYTES = 1 << 20  # an answer is a short program; anything bigger is refused as a failed answer


class _Broken(Exception):
    """The server misbehaved or died; the sandbox is killed and restarted on the next use."""


def _as_inputs(inputs, unpack: bool) -> numpy.ndarray:
    array = numpy.asarray(inputs)
    if array.ndim < 2 or array.ndim > 5:
        raise ValueError(f"inputs must have shape (N, ...) with 1 to 4 row dimensions, not {array.shape}")
    if unpack:
        if array.dtype.kind not in "iub" or array.ndim != 2:
            raise ValueError("unpack=True needs an integer array of shape (N, k)")
        return numpy.ascontiguousarray(array, dtype="<i8")
    return numpy.ascontiguousarray(array, dtype="<f8")


def _parent_of(pid: int) -> int | None:
    """The parent pid of a host process, or None if it is gone (checked before killing by pid)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


class WarmSandbox:
    """A sandbox kept running (bubblewrap + Python + numpy imported); ``map`` forks a fresh child per answer.

    Thread-safe: calls on one instance run one at a time. If the server dies it is restarted on the next call.
    """

    def __init__(self, limits: Limits = Limits()) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._launch: launcher.Launch | None = None
        self._server: int | None = None  # host pid of the server (pid 1 inside)
        self._group: ResourceGroup | None = None  # every answer process: memory and process budget
        self._tmp: FreshTmp | None = None  # mounts a new /tmp after every answer
        self._ids = itertools.count(1)

    # -------------------------------------------------------------------------------------------- lifecycle
    def __enter__(self) -> "WarmSandbox":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> None:
        """Start the server now (otherwise the first ``map`` does); SandboxUnavailable if it cannot."""
        with self._lock:
            self._ensure_started()

    def close(self) -> None:
        """Kill the sandbox and everything in it."""
        with self._lock:
            self._kill()

    @property
    def pid(self) -> int | None:
        """The host pid of bubblewrap, while running."""
        return self._launch.process.pid if self._launch is not None else None

    @property
    def uid(self) -> int | None:
        """The host uid the sandboxed processes run as (when started as root), while running."""
        return self._launch.uid if self._launch is not None else None

    def _ensure_started(self) -> None:
        if self._launch is not None and self._launch.process.poll() is None:
            return
        self._kill()
        self._launch = launcher.launch()
        try:
            deadline = time.monotonic() + START_SECONDS
            answer_filter = seccomp.answer_filter()
            self._send(worker.HELLO.pack(b"ICHI", len(answer_filter)) + answer_filter, deadline)
            if self._recv(len(worker.READY), deadline) != worker.READY:
                raise _Broken("bad handshake")
            self._server = launcher.server_pid(self._launch)
        except _Broken:
            reason = self._stderr_text()
            self._kill()
            raise SandboxUnavailable(launcher.diagnose(reason)) from None
        try:
            if self._server is None:
                raise OSError("bubblewrap did not report the server's pid")
            self._group = ResourceGroup.create("sandbox", self.limits.memory_bytes, self.limits.processes,
                                               reaper=self._server)
            self._group.add_supervisor(self._server)  # answers are then forked inside the group
            self._tmp = FreshTmp(self._server, launcher.TMP_BYTES)
        except OSError as exc:
            self._kill()
            raise SandboxUnavailable(f"the sandbox cannot set its limits: {exc}") from None

    def _stderr_text(self) -> str:
        if self._launch is None:
            return ""
        try:
            self._launch.process.wait(timeout=1)
        except Exception:
            pass
        stream = self._launch.stderr
        stream.seek(0)
        return stream.read(4096).decode("utf-8", "replace")

    def _kill(self) -> None:
        launch, self._launch = self._launch, None
        if launch is None:
            return
        server, self._server = self._server, None
        group, self._group = self._group, None
        tmp, self._tmp = self._tmp, None
        if tmp is not None:
            tmp.close()
        if server is not None and _parent_of(server) == launch.process.pid:
            # Killing pid 1 of the namespace kills everything in it; bubblewrap then reaps it and exits.
            os.kill(server, signal.SIGKILL)
            try:
                launch.process.wait(timeout=5)
            except Exception:
                pass
        try:
            os.killpg(launch.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for fd in (launch.info,):
            try:
                os.close(fd)
            except OSError:
                pass
        for stream in (launch.process.stdin, launch.process.stdout, launch.stderr):
            try:
                stream.close()
            except OSError:
                pass
        launch.process.wait()
        if group is not None:
            group.close()

    # ------------------------------------------------------------------------------------------------- pipes
    def _send(self, data: bytes, deadline: float) -> None:
        fd = self._launch.process.stdin.fileno()
        os.set_blocking(fd, False)
        view = memoryview(data)
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_WRITE)
            while view:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise _Broken("timed out writing to the sandbox")
                try:
                    view = view[os.write(fd, view):]
                except BlockingIOError:
                    continue
                except OSError as exc:
                    raise _Broken(f"the sandbox went away ({exc})") from None

    def _recv(self, n: int, deadline: float) -> bytes:
        fd = self._launch.process.stdout.fileno()
        os.set_blocking(fd, False)
        buf = bytearray()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while len(buf) < n:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise _Broken("timed out")
                try:
                    chunk = os.read(fd, n - len(buf))
                except BlockingIOError:
                    continue
                if not chunk:
                    raise _Broken("the sandbox closed its output")
                buf += chunk
        return bytes(buf)

    # -------------------------------------------------------------------------------------------------- map
    def map(self, source: str, function: str, inputs, *, unpack: bool, limits: Limits | None = None) -> MapResult:
        """Run ``function`` from the answer ``source`` on every input row; see ``interpctf.sandbox.map_function``."""
        limits = limits or self.limits
        if not isinstance(source, str) or not isinstance(function, str) or not function.isidentifier():
            raise ValueError("source must be a str and function a Python identifier")
        if len(function) > 200:
            raise ValueError("function name too long")
        rows = _as_inputs(inputs, unpack)
        n, dims = rows.shape[0], rows.shape[1:]
        request_id = next(self._ids)
        source_b, function_b = source.encode("utf-8", "surrogatepass"), function.encode()
        if len(source_b) > MAX_SOURCE_BYTES:
            size = f"{len(source_b):,} bytes; at most {MAX_SOURCE_BYTES:,}"
            return MapResult.failed(n, f"the answer is too large ({size})")
        head = worker.REQUEST.pack(
            worker.REQUEST_MAGIC, request_id, n, int(unpack), 0 if unpack else 1, len(dims),
            *(tuple(dims) + (0,) * (4 - len(dims))), len(source_b), len(function_b),
            float(limits.cpu_seconds), float(limits.wall_seconds), int(limits.memory_bytes), int(limits.processes),
            int(limits.output_bytes), int(limits.file_bytes),
        )
        with self._lock:
            self._ensure_started()
            deadline = time.monotonic() + limits.wall_seconds + GRACE_SECONDS
            group = self._group
            try:
                if (group.memory_bytes, group.pids) != (limits.memory_bytes, limits.processes):
                    group.set_limits(limits.memory_bytes, limits.processes)
                group.reset()
                self._tmp.ready()  # the /tmp of the last answer is gone, a new one mounted
                self._send(head, deadline)
                self._join_group(request_id, deadline)
                self._send(source_b + function_b + rows.tobytes(), deadline)
                result = self._read_response(request_id, n, deadline)
                self._tmp.refresh()  # every process of this answer is dead now; the next map waits for it
            except (_Broken, OSError) as exc:
                # The server itself failed (it should never): kill it all, report, restart on the next call.
                timed_out = time.monotonic() >= deadline
                try:
                    exceeded = group.memory_exceeded()
                except OSError:
                    exceeded = False
                self._kill()
                if exceeded:
                    return MapResult.failed(n, "memory limit exceeded")
                if timed_out:
                    return MapResult.failed(n, f"time limit exceeded ({limits.wall_seconds:g} s wall)")
                return MapResult.failed(n, f"the sandbox failed: {exc}")
            if group.memory_exceeded():  # the kernel (or the watchdog) killed part of the answer for memory
                return MapResult.failed(n, "memory limit exceeded")
            return result

    def _join_group(self, request_id: int, deadline: float) -> None:
        """The server has forked the answer's child, which waits for its payload: put it into the group."""
        magic, got_id = worker.FORKED.unpack(self._recv(worker.FORKED.size, deadline))
        if magic != worker.FORKED_MAGIC or got_id != request_id:
            raise _Broken("garbled fork notice")
        children = children_of(self._server)
        if len(children) != 1:  # the server's only child is the answer, which cannot have forked yet
            raise _Broken(f"expected one child of the server, found {len(children)}")
        self._group.add(children[0])

    def _read_response(self, request_id: int, n: int, deadline: float) -> MapResult:
        magic, got_id, got_n, fail_len, frame_len = worker.RESPONSE.unpack(
            self._recv(worker.RESPONSE.size, deadline))
        if (magic != worker.RESPONSE_MAGIC or got_id != request_id or got_n != n or fail_len > worker.MAX_TEXT
                or frame_len > worker.max_frame(n)):
            raise _Broken("garbled response")
        failure = worker.one_line(self._recv(fail_len, deadline).decode("utf-8", "replace")) if fail_len else None
        frame = self._recv(frame_len, deadline) if frame_len else b""
        if failure:
            return MapResult.failed(n, failure)
        return _parse_frame(frame, n)


def _parse_frame(frame: bytes, n: int) -> MapResult:
    """Check the child's own frame (the server relays it unread) and turn it into a MapResult."""
    if len(frame) < worker.CHILD.size:
        return MapResult.failed(n, "the answer exited before returning results")
    magic, kind, got_n, text_len = worker.CHILD.unpack_from(frame)
    body = frame[worker.CHILD.size + text_len:]
    text = worker.one_line(frame[worker.CHILD.size:worker.CHILD.size + text_len].decode("utf-8", "replace"))
    expected = 9 * n if kind == worker.CHILD_RESULTS else 0
    if magic != worker.CHILD_MAGIC or got_n != n or text_len > worker.MAX_TEXT or len(body) != expected:
        return MapResult.failed(n, "the answer tampered with the result channel")
    if kind == worker.CHILD_MEMORY:
        return MapResult.failed(n, "memory limit exceeded")
    if kind == worker.CHILD_FAILED:
        return MapResult.failed(n, text or "the answer failed to load")
    if kind != worker.CHILD_RESULTS:
        return MapResult.failed(n, "the answer tampered with the result channel")
    status = numpy.frombuffer(body, dtype=numpy.uint8, count=n).copy()
    values = numpy.frombuffer(body, dtype="<i8", count=n, offset=n).astype(numpy.int64)
    status[status > BAD_VALUE] = RAISED  # anything unknown counts as failed
    values[status != OK] = 0
    return MapResult(
        values=values,
        status=status,
        failure=None,
        first_error=text or None,
        n_exceptions=int(numpy.count_nonzero(status == RAISED)),
        n_bad_values=int(numpy.count_nonzero(status == BAD_VALUE)),
    )
