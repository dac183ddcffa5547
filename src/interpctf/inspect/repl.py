"""The host side of the agents' stateful ``python`` tool: one persistent Python process in the sandbox's lab
profile (:mod:`interpctf.sandbox.lab_profile`), fed code over a pipe, its variables kept between calls.

What the process sees: the Python installation and site-packages (torch, numpy) read-only, the challenge's public
bundle read-only at ``/bundle``, a scratch workspace at ``/work`` (its one writable folder, size-capped), a fresh
``/tmp``; never the key (nothing of the host's file system but those mounts exists inside), no network (a new
network namespace, and seccomp refuses sockets). Of the package only the REPL loop and the confinement step are
mounted. Budgets: wall seconds per call and in total for the task, memory and processes for the whole process
tree (a cgroup, else the watchdog), RLIMITs set by the process on itself before any agent code. A call past its
budget kills the whole sandbox: the next call starts a fresh process and is told that the variables are gone.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from interpctf.errors import InterpctfError, SandboxUnavailable
from interpctf.sandbox import launcher, seccomp
from interpctf.sandbox.cgroup import ResourceGroup
from interpctf.sandbox.forge_profile import POLL_SECONDS, START_SECONDS, _folder_bytes, _kill, _own, _Tail
from interpctf.sandbox.lab_profile import LabBudget, command

BUNDLE = "/bundle"  # the public bundle inside the sandbox
MODULE = "interpctf.inspect.repl_job"
PACKAGE_FILES = ["__init__.py", "inspect/__init__.py", "inspect/repl_job.py", "sandbox/confine.py",
                 "sandbox/worker.py"]
EMPTY_FILES = ["sandbox/__init__.py"]
MAX_CODE = 60_000  # bytes of one call's code: less than a pipe's buffer, so writing it never blocks
MAX_LINE = 1 << 20  # one reply line, all fields together (each is capped inside at output_chars)


class PythonToolError(InterpctfError):
    """A call that could not run or was stopped; the message is one line for the agent."""


@dataclass(frozen=True)
class PythonBudget:
    call_seconds: float = 60.0  # wall seconds one call may take
    total_seconds: float = 900.0  # wall seconds of all calls of one task together
    memory_bytes: int = 4 << 30  # the process tree together (torch alone maps ~1 GB of address space)
    scratch_bytes: int = 256 << 20  # the writable workspace
    output_chars: int = 16_000  # stdout, stderr and the result's repr, each
    processes: int = 64


class SandboxedPython:
    """A persistent sandboxed Python; ``run(code)`` returns what the agent sees. ``close()`` ends it (also safe to
    call twice); a process left running dies with the host anyway (bubblewrap's --die-with-parent, and the
    process exits when its stdin, held by the host, closes)."""

    def __init__(self, bundle_dir: str | Path | None = None, budget: PythonBudget | None = None):
        self.bundle = Path(bundle_dir).resolve() if bundle_dir is not None else None
        self.budget = budget or PythonBudget()
        self.used = 0.0
        self._proc: subprocess.Popen | None = None
        self._lost: str | None = None  # why the last process was stopped, told to the next call
        self._next_id = 0

    # -- lifecycle -----------------------------------------------------------------------------------------

    def _start(self) -> None:
        seccomp.check()
        b = self.budget
        self._root = Path(tempfile.mkdtemp(prefix="interpctf-python-"))
        os.chmod(self._root, 0o711)  # bubblewrap, root without CAP_DAC_OVERRIDE, must still enter it
        self._work = self._root / "work"
        self._work.mkdir(mode=0o711)
        uid = launcher.UID_BASE + secrets.randbelow(launcher.UID_RANGE)
        _own(self._work, uid)
        lab = LabBudget(wall_seconds=b.total_seconds, memory_bytes=b.memory_bytes, cpu_seconds=b.total_seconds + 10,
                        disk_bytes=b.scratch_bytes, processes=b.processes)
        self._lab = lab
        info_r, info_w = os.pipe()
        lines_r, lines_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        data_r, data_w = os.pipe()
        filter_r, filter_w = os.pipe()
        binds = ((self._stage_bundle(), BUNDLE),) if self.bundle is not None else ()
        try:
            os.write(filter_w, seccomp.sandbox_filter())
            os.close(filter_w)
            cmd = command(self._work, PACKAGE_FILES, EMPTY_FILES, MODULE, lab, filter_r, info_w, ro_binds=binds)
            try:
                proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr_w,
                                        pass_fds=(filter_r, info_w, lines_w, data_r), env={},
                                        start_new_session=True, umask=0o022)
            except OSError as exc:
                for fd in (info_r, lines_r, stderr_r, data_w):
                    os.close(fd)
                raise SandboxUnavailable(f"cannot start bubblewrap: {exc}") from None
        finally:
            for fd in (filter_r, info_w, lines_w, stderr_w, data_r):
                os.close(fd)
        self._proc, self._info, self._lines, self._data = proc, info_r, lines_r, data_w
        self._stderr, self._stderr_fd, self._buffer = _Tail(stderr_r), stderr_r, b""
        self._pid1 = launcher.info_child_pid(info_r, START_SECONDS)
        self._group = None
        if self._pid1 is None:
            proc.wait()
            reason = launcher.diagnose(self._stderr.text())
            self.close()
            raise SandboxUnavailable(reason)
        self._group = ResourceGroup.create("python", b.memory_bytes, b.processes, reaper=self._pid1)
        self._group.add(self._pid1)
        spec = {"uid": uid, "cpu_seconds": lab.cpu_seconds, "memory_bytes": b.memory_bytes,
                "processes": b.processes, "file_bytes": b.scratch_bytes, "report_fd": lines_w, "data_fd": data_r,
                "output_chars": b.output_chars}
        proc.stdin.write(json.dumps(spec).encode() + b"\n")
        proc.stdin.flush()
        ready = self._reply(None, START_SECONDS)
        if not ready.get("ready"):
            self.close()
            raise PythonToolError("the sandboxed Python did not start")

    def _stage_bundle(self) -> Path:
        """A world-readable copy of the bundle: its files may be private to the host's user (forge writes them
        0600) and the process runs as another uid. Links are copied as links, so none reaches out of the copy."""
        staged = self._root / "bundle"
        shutil.copytree(self.bundle, staged, symlinks=True)
        for path in (staged, *staged.rglob("*")):
            if not path.is_symlink():
                os.chmod(path, 0o555 if path.is_dir() else 0o444)
        return staged

    def close(self) -> None:
        """Kill the process (its whole pid namespace) and remove its scratch workspace."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        _kill(proc, self._pid1)
        for stream in (proc.stdin,):
            try:
                stream.close()
            except OSError:
                pass
        if self._group is not None:
            self._group.close()
        for fd in (self._info, self._lines, self._data, self._stderr_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        _own(self._work, os.geteuid())
        for directory in (self._root / "bundle", *(self._root / "bundle").rglob("*")):
            if directory.is_dir() and not directory.is_symlink():
                os.chmod(directory, 0o755)  # the read-only copy's folders: removable by a non-root host too
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> "SandboxedPython":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- calls ---------------------------------------------------------------------------------------------

    def _stop(self, reason: str) -> PythonToolError:
        """Kill the process after a broken budget; the next call will start a fresh one and say so."""
        self.close()
        self._lost = reason
        return PythonToolError(f"{reason}; the Python process was stopped and its variables are lost (the next "
                               "call starts a fresh one)")

    def _reply(self, request_id: int | None, seconds: float, over: str | None = None) -> dict:
        """Wait up to ``seconds`` for the reply line carrying ``request_id`` (None: the ready line); ``over`` is
        what to say when the time runs out."""
        deadline = time.monotonic() + seconds
        while True:
            if self._proc is None:  # closed from another thread (the sample ended during the call)
                raise PythonToolError("the python tool was closed: the task has ended")
            self._stderr.read()
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                try:
                    reply = json.loads(line)
                except ValueError:
                    continue  # the agent's own writes on the channel: not a reply
                if isinstance(reply, dict) and reply.get("id") == request_id:
                    return reply
            if self._group.memory_exceeded():
                raise self._stop(f"the call ran out of memory (budget {self.budget.memory_bytes >> 20} MiB)")
            if _folder_bytes(self._work, self.budget.scratch_bytes) > self.budget.scratch_bytes:
                raise self._stop(f"the call wrote more than the scratch budget ({self.budget.scratch_bytes >> 20} MiB)")
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._stop(over or f"the call went past its time budget ({seconds:g} s)")
            ready = select.select([self._lines, self._stderr_fd], [], [], min(POLL_SECONDS, left))[0]
            if self._lines in ready:
                chunk = os.read(self._lines, 65536)
                if not chunk:
                    self._proc.wait()
                    raise self._stop(self._why_dead())
                self._buffer += chunk
                if len(self._buffer) > MAX_LINE:
                    raise self._stop(f"the call wrote more than {MAX_LINE >> 20} MiB on the reply channel")

    def _why_dead(self) -> str:
        status, tail = self._proc.returncode if self._proc else None, self._stderr.text()
        if "MemoryError" in tail or "Cannot allocate memory" in tail or self._group.memory_exceeded():
            return f"the call ran out of memory (budget {self.budget.memory_bytes >> 20} MiB)"
        if status is not None and (status < 0 or status > 128):
            return "the Python process was killed (it used up its CPU budget or a limit)"
        return f"the Python process exited ({status})"

    def run(self, code: str) -> str:
        """Run ``code`` in the persistent namespace; the agent's view of stdout, stderr and the last value."""
        left = self.budget.total_seconds - self.used
        if left <= 0:
            raise PythonToolError(f"the python tool's time budget for this task ({self.budget.total_seconds:g} s) "
                                  "is used up")
        if len(code.encode()) > MAX_CODE:
            raise PythonToolError(f"the code is over {MAX_CODE} bytes; write long code to a file in /work first")
        note = ""
        if self._proc is None:
            if self._lost is not None:
                note = (f"[a fresh Python process: the previous one was stopped ({self._lost}); earlier variables "
                        "are gone]\n")
                self._lost = None
            self._start()
        self._next_id += 1
        body = json.dumps({"id": self._next_id, "code": code}).encode()
        start = time.monotonic()
        try:
            os.write(self._data, len(body).to_bytes(4, "big"))
            view = memoryview(body)
            while view:
                view = view[os.write(self._data, view):]
            over = None if self.budget.call_seconds <= left else (
                f"the python tool's time budget for this task ({self.budget.total_seconds:g} s) ran out during the "
                "call")
            reply = self._reply(self._next_id, min(self.budget.call_seconds, left), over)
        except BrokenPipeError:
            raise self._stop("the Python process had exited") from None
        except (OSError, ValueError, AttributeError):
            if self._proc is None:  # its pipes were closed under it: the sample ended
                raise PythonToolError("the python tool was closed: the task has ended") from None
            raise
        finally:
            self.used += time.monotonic() - start
        return note + format_reply(reply)


def format_reply(reply: dict) -> str:
    """What the agent reads: stdout, then stderr, then the value of the last expression; '(no output)' if none."""
    parts = []
    for key in ("stdout", "stderr"):
        text = reply.get(key)
        if isinstance(text, str) and text:
            parts.append(text if key == "stdout" else f"[stderr]\n{text}")
    if isinstance(reply.get("result"), str):
        parts.append(reply["result"])
    return "\n".join(p.rstrip("\n") for p in parts) or "(no output)"
