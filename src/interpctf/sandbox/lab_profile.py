"""The sandbox's *lab* profile: a lab code run (an agent's SAE module trained, or its saved SAE encoding inputs) in a
bubblewrap sandbox of its own, running a job module of the package.

What the job sees: the system libraries, the Python installation and its site-packages (torch, numpy, ...)
read-only; of the ``interpctf`` package only the files the caller names (for a code run: the SAE base classes, the
config and the training loop; never the tasks, their data generators, the metrics or the scoring code, so neither
the ground-truth features nor the test split can be rebuilt inside), read-only, with the rest of the package absent;
the run's workspace, the one writable folder; the CPU topology (for torch); its own ``/proc``; a fresh size-capped
``/tmp``; no network (a new network namespace, and seccomp refuses sockets); nothing else. It runs as a fresh random
unprivileged uid with the sandbox's seccomp filter, in a pid namespace of its own.

Channels: the spec on stdin (kept open: EOF tells the job the host died), an optional one-way data pipe the host
writes (the training batches: the job can never ask for more than the host sends), and one report line on a line
pipe, bounded and parsed by the caller. Budgets: memory and processes through
:class:`interpctf.sandbox.cgroup.ResourceGroup` (a cgroup, else the watchdog), joined before the job reads its
spec; RLIMIT_AS/CPU/NPROC/FSIZE set by the job on itself (:mod:`interpctf.sandbox.confine`) before any untrusted
code; the wall clock and the workspace's size enforced here, which kills the whole pid namespace. Failures are
decided here from what the kernel reports; the report is only a claim.
"""

from __future__ import annotations

import os
import secrets
import select
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from interpctf.errors import InterpctfError, SandboxUnavailable
from interpctf.sandbox import launcher, seccomp
from interpctf.sandbox.cgroup import ResourceGroup
from interpctf.sandbox.forge_profile import (POLL_SECONDS, START_SECONDS, SANDBOX_SRC, _folder_bytes, _kill,
                                             _own, _Tail, _venv_site)

WORKSPACE = "/work"  # the run's workspace inside the sandbox
MAX_REPORT = 64 << 10  # the job's whole report channel


class LabJobFailed(InterpctfError):
    """The job broke a budget or died; the message is one line for the run's record."""


@dataclass(frozen=True)
class LabBudget:
    wall_seconds: float
    memory_bytes: int
    cpu_seconds: float
    disk_bytes: int = 512 << 20  # the workspace, all files together
    tmp_bytes: int = 64 << 20
    processes: int = 64  # processes and threads of the job's uid


def _package_dir() -> Path:
    import interpctf

    return Path(interpctf.__file__).resolve().parent


def command(workspace: Path, package_files: list[str], empty_files: list[str], module: str, budget: LabBudget,
            seccomp_fd: int, info_fd: int, ro_binds: tuple[tuple[Path, str], ...] = ()) -> list[str]:
    """The bubblewrap command line: ``package_files`` (paths inside the package) bound read-only, ``empty_files``
    bound as empty files (``__init__`` modules whose imports would pull in what is not mounted), and each
    ``(host path, sandbox path)`` of ``ro_binds`` read-only (a challenge's public bundle for the agents' REPL)."""
    prefix, python, library_path = launcher._python_layout()
    package = _package_dir()
    cmd = [launcher.find_bwrap()]
    if os.geteuid() == 0:  # privileged bwrap; the job drops to its random uid before anything else
        cmd += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-all", "--unshare-user", "--disable-userns"]
    cmd += ["--die-with-parent", "--new-session", "--clearenv", "--as-pid-1", "--hostname", "sandbox"]
    dirs = {"/usr", "/opt", SANDBOX_SRC, f"{SANDBOX_SRC}/interpctf"}
    for rel in (*package_files, *empty_files):
        parent = Path(f"{SANDBOX_SRC}/interpctf/{rel}").parent
        while str(parent) != SANDBOX_SRC:
            dirs.add(str(parent))
            parent = parent.parent
    for directory in sorted(dirs, key=lambda d: d.count("/")):
        cmd += ["--perms", "0755", "--dir", directory]
    for system in ("/usr/lib", "/usr/lib64", "/lib", "/lib64"):
        if os.path.islink(system):
            cmd += ["--symlink", os.readlink(system), system]
        elif os.path.isdir(system):
            cmd += ["--ro-bind", system, system]
    cmd += ["--ro-bind", str(prefix), launcher.SANDBOX_PYTHON]
    cmd += ["--ro-bind", str(_venv_site()), launcher.SANDBOX_SITE]
    try:  # a non-editable install keeps the whole package in site-packages: hidden, only the named files show
        cmd += ["--tmpfs", f"{launcher.SANDBOX_SITE}/{package.relative_to(_venv_site()).as_posix()}"]
    except ValueError:
        pass
    for rel in package_files:
        cmd += ["--ro-bind", str(package / rel), f"{SANDBOX_SRC}/interpctf/{rel}"]
    for rel in empty_files:
        cmd += ["--ro-bind", "/dev/null", f"{SANDBOX_SRC}/interpctf/{rel}"]
    if os.path.isdir("/sys/devices/system/cpu"):
        cmd += ["--ro-bind", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
    for host, inside in ro_binds:
        cmd += ["--ro-bind", str(host), inside]
    cmd += ["--bind", str(workspace), WORKSPACE]
    cmd += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--size", str(budget.tmp_bytes),
            "--tmpfs", "/tmp", "--chdir", WORKSPACE]
    cmd += ["--seccomp", str(seccomp_fd), "--info-fd", str(info_fd)]
    for name, value in (("LD_LIBRARY_PATH", library_path), ("HOME", "/tmp"), ("PYTHONHASHSEED", "0"),
                        ("PYTHONDONTWRITEBYTECODE", "1"), ("OMP_NUM_THREADS", "1")):
        if value:
            cmd += ["--setenv", name, value]
    boot = (f"import sys; sys.path[:0] = [{SANDBOX_SRC!r}, {launcher.SANDBOX_SITE!r}]; "
            f"from {module} import main; main()")
    cmd += ["--", python, "-I", "-S", "-B", "-c", boot]
    return cmd


@dataclass
class JobOutcome:
    report: bytes  # the job's last report line (a claim: the caller parses and checks it)
    seconds: float  # wall time from the job's start (after bubblewrap started it) to its end
    fed: int  # data items the feeder wrote whole


def run_lab_job(workspace: Path, spec: dict, budget: LabBudget, *, package_files: list[str],
                empty_files: list[str], module: str,
                feed: Callable[[Callable[[bytes], None]], int] | None = None) -> JobOutcome:
    """Run ``module``'s ``main`` in the lab profile over ``workspace`` (its one writable folder).

    ``spec`` (JSON-able; ``uid``, ``report_fd`` and ``data_fd`` are added) goes on the job's stdin. ``feed``, when
    given, runs in a thread with a ``write(bytes)`` function onto the data pipe and returns how many items it wrote;
    writing stops when the job closes the pipe or dies. Raises :class:`LabJobFailed` (budgets, a crash, no report)
    or SandboxUnavailable."""
    import json

    seccomp.check()  # fail closed: no filter for this machine, no job
    workspace = Path(workspace).resolve()
    uid = launcher.UID_BASE + secrets.randbelow(launcher.UID_RANGE)
    _own(workspace, uid)
    info_r, info_w = os.pipe()
    lines_r, lines_w = os.pipe()
    stderr_r, stderr_w = os.pipe()
    data_r, data_w = os.pipe()
    stderr = _Tail(stderr_r)
    group = process = pid1 = feeder = None
    fed = [0]
    reason = None
    report = b""
    start = time.monotonic()
    try:
        filter_r, filter_w = os.pipe()
        try:
            os.write(filter_w, seccomp.sandbox_filter())
            os.close(filter_w)
            cmd = command(workspace, package_files, empty_files, module, budget, filter_r, info_w)
            try:
                process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr_w,
                                           pass_fds=(filter_r, info_w, lines_w, data_r), env={},
                                           start_new_session=True, umask=0o022)
            except OSError as exc:
                raise SandboxUnavailable(f"cannot start bubblewrap: {exc}") from None
        finally:
            for fd in (filter_r, info_w, lines_w, stderr_w, data_r):
                os.close(fd)
        pid1 = launcher.info_child_pid(info_r, START_SECONDS)
        if pid1 is None:
            process.wait()
            raise SandboxUnavailable(launcher.diagnose(stderr.text()))
        start = time.monotonic()
        group = ResourceGroup.create("lab", budget.memory_bytes, budget.processes, reaper=pid1)
        group.add(pid1)
        full = {**spec, "uid": uid, "report_fd": lines_w, "data_fd": data_r}
        try:
            process.stdin.write(json.dumps(full).encode() + b"\n")
            process.stdin.flush()
        except OSError:
            pass
        if feed is not None:
            feeder = threading.Thread(target=_feed, args=(feed, data_w, fed), name="lab-feed", daemon=True)
            feeder.start()
        else:
            os.close(data_w)
        data_w = None
        os.set_blocking(lines_r, False)
        closed = False
        while True:
            stderr.read()
            while not closed:
                try:
                    chunk = os.read(lines_r, 65536)
                except BlockingIOError:
                    break
                if not chunk:
                    closed = True
                    break
                report += chunk
                if len(report) > MAX_REPORT:
                    raise LabJobFailed("the run wrote too much on its report channel")
            if process.poll() is not None and closed:
                break
            if group.memory_exceeded():
                reason = _memory(budget)
                break
            if time.monotonic() - start > budget.wall_seconds:
                reason = f"the run went past its wall-clock budget ({budget.wall_seconds:g} s)"
                break
            if _folder_bytes(workspace, budget.disk_bytes) > budget.disk_bytes:
                reason = f"the run wrote more than its disk budget ({budget.disk_bytes >> 20} MiB)"
                break
            select.select([lines_r, stderr_r], [], [], POLL_SECONDS)
    except LabJobFailed as exc:
        reason = str(exc)
    finally:
        seconds = time.monotonic() - start
        if process is not None and (process.poll() is None or reason is not None):
            _kill(process, pid1)
        if process is not None:
            try:
                process.stdin.close()
            except OSError:
                pass
        if group is not None:
            if reason is None and group.memory_exceeded():
                reason = _memory(budget)
            group.close()
        if data_w is not None:
            os.close(data_w)
        if feeder is not None:
            feeder.join(timeout=10)
        for fd in (lines_r, info_r):
            os.close(fd)
        stderr.read()
        os.close(stderr_r)
        _own(workspace, os.geteuid())
    tail = stderr.text()
    if reason is None and _folder_bytes(workspace, budget.disk_bytes) > budget.disk_bytes:
        reason = f"the run wrote more than its disk budget ({budget.disk_bytes >> 20} MiB)"
    if reason is None and not report.strip():
        reason = _why_no_report(process.returncode, tail, budget)
    if reason is not None:
        raise LabJobFailed(reason)
    return JobOutcome(report=report.strip().split(b"\n")[-1], seconds=seconds, fed=fed[0])


def _feed(feed, fd: int, fed: list[int]) -> None:
    """Write the data; the job closing its end (or dying) ends it with EPIPE, which is not an error here."""
    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        fed[0] += 1

    try:
        feed(write)
    except OSError:
        pass
    finally:
        os.close(fd)


def _memory(budget: LabBudget) -> str:
    return f"the run ran out of memory (budget {budget.memory_bytes >> 20} MiB)"


def _why_no_report(status: int | None, tail: str, budget: LabBudget) -> str:
    """A one-line reason from the exit status (the kernel's word, not the job's)."""
    import signal

    sig = -status if status is not None and status < 0 else (status - 128 if status and status > 128 else None)
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and "CPU" in tail):
        return f"the run used up its CPU budget ({budget.cpu_seconds:g} s)"
    if sig == signal.SIGXFSZ:
        return f"the run wrote a file larger than its disk budget ({budget.disk_bytes >> 20} MiB)"
    if "MemoryError" in tail or "bad_alloc" in tail or "Cannot allocate memory" in tail:
        return _memory(budget)
    if sig is not None:
        return f"the run was killed by signal {signal.Signals(sig).name}"
    last = next((line for line in reversed(tail.strip().splitlines()) if line.strip()), "")
    return f"the run exited ({status}) without a report" + (f": {' '.join(last.split())[:300]}" if last else "")
