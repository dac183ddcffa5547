"""The sandbox's *forge* profile: one whole job (forge a proposer's recipe, or check a proposer's plant) run in a
bubblewrap sandbox of its own, running :func:`interpctf.sandbox.forge_job.main`.

What the job sees: the system libraries, the Python installation, its site-packages (torch, numpy, ...) and the
``interpctf`` package, all read-only; the kinds' caches (``world-model``, ``mnist``) read-only where the host
has them; the CPU topology (``/sys/devices/system/cpu``, for torch); the proposal's own folder read-only with one
writable output folder inside it (``job-output/``, forge jobs only); a fresh size-capped ``/tmp``; its own
``/proc`` (its pid namespace only); no network (a new network namespace, and seccomp refuses sockets); nothing
else: not the event's data folder (other proposals, keys, ``event.db``), not ``/home``, ``/root`` or ``/etc``.
It runs as a fresh random unprivileged uid with the sandbox's seccomp filter, in a pid namespace of its own.
Budgets: memory and processes for the whole job through :class:`interpctf.sandbox.cgroup.ResourceGroup` (a
cgroup, else the watchdog), joined before the job reads its spec; RLIMIT_AS, RLIMIT_CPU, RLIMIT_NPROC and
RLIMIT_FSIZE set by the job's process on itself before any proposer code runs; the wall clock and the output
folder's total size (polled every POLL_SECONDS, so a fast writer can overshoot by what it writes in one poll,
each file capped by RLIMIT_FSIZE) enforced by the host, which kills the whole pid namespace. If the host dies, the
job reads EOF on its stdin and exits, and with it (pid 1) every process of its namespace.

What comes back, and how much of it is trusted (the job may be running the proposer's own code, so nothing it
says is believed unchecked): progress lines and one report line on a pipe, each parsed with pydantic and bounded
in size; failures (time, CPU, memory, disk, signals) are decided by the host from what the kernel reports. The
caller (``server.league_jobs``) re-derives the plant check's verdict from the files: ``verify`` (hashes and the
commitment) on the host, and the key's reference answer graded by the normal grading path. Only the baselines'
figures are taken from the report: they are shown to the proposer, about their own challenge. (That re-grade is
what every answer to the published challenge gets: a program runs in the warm sandbox; a kind whose grader runs
the model loads the proposer's model in the host, after the intake's config.json check, and only once the job
has loaded the same files within its budget.)
"""

from __future__ import annotations

import logging
import os
import secrets
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interpctf.errors import InterpctfError, SandboxUnavailable
from interpctf.sandbox import launcher, seccomp
from interpctf.sandbox.cgroup import ResourceGroup

log = logging.getLogger("interpctf.sandbox.forge")

JOB_DIR = "/job"  # the proposal's folder inside the sandbox
OUTPUT_DIR = "job-output"  # the one writable folder (inside the proposal's folder) of a forge job
FORGE_OUT = "forged"  # where, inside OUTPUT_DIR, a forge job writes its forge output
SANDBOX_SRC = "/opt/src"
SANDBOX_CACHE = "/opt/cache"
CACHE_SUBDIRS = ("world-model", "mnist")  # what the kinds read from $INTERPCTF_CACHE while forging (read-only)
START_SECONDS = 30.0  # until bubblewrap has started the job (not counted in its wall budget)
MAX_LINE = 64 << 10  # one progress or report line
MAX_LINES_BYTES = 4 << 20  # everything the job may say in one run
POLL_SECONDS = 0.25


class ForgeBudget(BaseModel):
    """Resources of one forge-profile job (set per event under ``league.forge``)."""

    model_config = ConfigDict(extra="forbid")
    cpu_seconds: float = Field(default=3600, gt=0, le=86400)
    wall_seconds: float = Field(default=1800, gt=0, le=86400)
    memory_bytes: int = Field(default=6 << 30, ge=1 << 30)  # torch alone maps ~1 GB of address space
    disk_bytes: int = Field(default=512 << 20, ge=1 << 20)  # the output folder, all files together
    tmp_bytes: int = Field(default=256 << 20, ge=1 << 20)  # the fresh /tmp (memory)
    processes: int = Field(default=64, ge=4, le=4096)  # processes and threads of the job's uid


class JobSpec(BaseModel):
    """What the host asks of a job (sent on its stdin)."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["forge", "check"]
    challenge: str = Field(default="challenge", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    budget: ForgeBudget
    uid: int
    recipe_caps: dict[str, int] | None = None  # server.league_caps.RecipeCaps, checked before the recipe runs


class BaselineFigure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: float = Field(allow_inf_nan=False)
    solved: bool


class VariantReport(BaseModel):
    """The job's plant check of one variant (its claims; the host re-derives the verdict)."""

    model_config = ConfigDict(extra="forbid")
    folder: str = Field(max_length=200)
    reference_score: float | None = Field(default=None, allow_inf_nan=False)
    reference_solved: bool | None = None
    baselines: dict[str, BaselineFigure] = Field(default_factory=dict, max_length=32)
    # the streetlight audit: the kind's hint-aware black-box solvers on the bundle, with its statement's data
    audit: dict[str, BaselineFigure] = Field(default_factory=dict, max_length=32)
    problem: str = Field(default="", max_length=500)


class JobReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    error: str = Field(default="", max_length=500)  # the job's own one-line failure ("" = done)
    variants: list[VariantReport] = Field(default_factory=list, max_length=1000)


class JobLine(BaseModel):
    """One line the job writes: progress (a step, done, total) or, last, the report."""

    model_config = ConfigDict(extra="forbid")
    progress: dict[str, str | float | int | None] | None = Field(default=None, max_length=8)
    report: JobReport | None = None


class ForgeJobFailed(InterpctfError):
    """The job did not finish within its budgets or broke; the message is one line for the proposer."""


def _venv_site() -> Path:
    import numpy

    return Path(numpy.__file__).resolve().parent.parent


def _package_dir() -> Path:
    import interpctf

    return Path(interpctf.__file__).resolve().parent


def _cache_root() -> Path:
    return Path(os.environ.get("INTERPCTF_CACHE", Path.home() / ".cache" / "interpctf"))


def command(folder: Path, writable: Path | None, budget: ForgeBudget, seccomp_fd: int, info_fd: int) -> list[str]:
    """The bubblewrap command line of a forge job on ``folder`` (``writable``: a sub-folder it may write)."""
    prefix, python, library_path = launcher._python_layout()
    cmd = [launcher.find_bwrap()]
    if os.geteuid() == 0:  # as the warm sandbox: privileged bwrap, the job drops to a random uid first thing
        cmd += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-all", "--unshare-user", "--disable-userns"]
    cmd += ["--die-with-parent", "--new-session", "--clearenv", "--as-pid-1", "--hostname", "sandbox"]
    for directory in ("/usr", "/opt", SANDBOX_SRC, SANDBOX_CACHE):
        cmd += ["--perms", "0755", "--dir", directory]
    for system in ("/usr/lib", "/usr/lib64", "/lib", "/lib64"):
        if os.path.islink(system):
            cmd += ["--symlink", os.readlink(system), system]
        elif os.path.isdir(system):
            cmd += ["--ro-bind", system, system]
    cmd += ["--ro-bind", str(prefix), launcher.SANDBOX_PYTHON]
    cmd += ["--ro-bind", str(_venv_site()), launcher.SANDBOX_SITE]
    cmd += ["--ro-bind", str(_package_dir()), f"{SANDBOX_SRC}/interpctf"]
    for name in CACHE_SUBDIRS:
        if (_cache_root() / name).is_dir():
            cmd += ["--ro-bind", str(_cache_root() / name), f"{SANDBOX_CACHE}/{name}"]
    # cpuinfo (torch) reads the CPU topology; nothing else of /sys
    if os.path.isdir("/sys/devices/system/cpu"):
        cmd += ["--ro-bind", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
    cmd += ["--ro-bind", str(folder), JOB_DIR]
    if writable is not None:
        cmd += ["--bind", str(writable), f"{JOB_DIR}/{writable.relative_to(folder).as_posix()}"]
    cmd += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--size", str(budget.tmp_bytes),
            "--tmpfs", "/tmp", "--chdir", "/tmp"]
    cmd += ["--seccomp", str(seccomp_fd), "--info-fd", str(info_fd)]
    for name, value in (("LD_LIBRARY_PATH", library_path), ("HOME", "/tmp"), ("INTERPCTF_CACHE", SANDBOX_CACHE),
                        ("PYTHONHASHSEED", "0"), ("PYTHONDONTWRITEBYTECODE", "1")):
        if value:
            cmd += ["--setenv", name, value]
    boot = (f"import sys; sys.path[:0] = [{SANDBOX_SRC!r}, {launcher.SANDBOX_SITE!r}]; "
            "from interpctf.sandbox.forge_job import main; main()")
    cmd += ["--", python, "-I", "-S", "-B", "-c", boot]
    return cmd


MAX_ENTRIES = 100_000  # files and folders a job may leave in its output folder


def _entries(root: Path):
    """Every entry under ``root`` as (path, lstat), links not followed; iterative, so any depth is fine."""
    stack = [root]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    yield entry.path, info
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue


def _folder_bytes(root: Path, limit: int) -> int:
    """Disk used under ``root`` (4 KiB per entry at least); stops counting once past ``limit``."""
    total = 0
    for count, (_path, info) in enumerate(_entries(root), 1):
        total += max(info.st_blocks * 512, 4096)
        if total > limit or count > MAX_ENTRIES:
            return limit + 1
    return total


def _own(root: Path, uid: int) -> None:
    """Give ``root`` and everything in it to ``uid`` (as root only), without following links."""
    if os.geteuid() != 0:
        return
    os.lchown(root, uid, uid)
    for path, _info in _entries(root):
        try:
            os.lchown(path, uid, uid)
        except OSError:
            pass


class _Lines:
    """Reads the job's line pipe without blocking, bounded per line and in total."""

    def __init__(self, fd: int):
        self.fd, self.buf, self.total, self.closed = fd, b"", 0, False
        os.set_blocking(fd, False)

    def read(self) -> list[bytes]:
        lines = []
        while not self.closed:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                self.closed = True
                break
            self.total += len(chunk)
            if self.total > MAX_LINES_BYTES:
                raise ForgeJobFailed("the forge job wrote too much on its report channel")
            self.buf += chunk
            *complete, self.buf = self.buf.split(b"\n")
            lines += complete
            if len(self.buf) > MAX_LINE:
                raise ForgeJobFailed("the forge job wrote a report line that is too long")
        return lines


def _parse(line: bytes) -> JobLine:
    try:
        return JobLine.model_validate_json(line)
    except ValidationError:
        raise ForgeJobFailed("the forge job's report channel is garbled") from None


def _kill(process: subprocess.Popen, pid1: int | None) -> None:
    for pid in (pid1, process.pid):  # pid 1 of the namespace first: the kernel then kills all of it
        if pid is None:
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def run_job(action: Literal["forge", "check"], folder: Path, budget: ForgeBudget, *, challenge: str = "challenge",
            recipe_caps: dict[str, int] | None = None, on_progress: Callable[[dict], None] | None = None) -> JobReport:
    """Run one forge-profile job over the proposal ``folder``.

    ``forge``: forge ``folder/recipe.yaml`` into ``folder/job-output/forged`` (the job's only writable folder,
    made empty here) and check its plant; ``check``: check the plant of ``folder`` (``bundle/`` + ``key.json``),
    writing nothing. Returns the job's report (its claims, validated in form only), or raises
    :class:`ForgeJobFailed` with a one-line reason (budgets, a crash, a garbled channel) or SandboxUnavailable.
    """
    seccomp.check()  # fail closed: no filter for this machine, no job
    folder = Path(folder).resolve()
    uid = launcher.UID_BASE + secrets.randbelow(launcher.UID_RANGE)
    writable = None
    if action == "forge":
        writable = folder / OUTPUT_DIR
        if writable.is_symlink() or writable.exists():
            raise ForgeJobFailed(f"{OUTPUT_DIR}/ already exists in the proposal's folder")
        writable.mkdir(mode=0o700)
    spec = JobSpec(action=action, challenge=challenge, budget=budget, uid=uid, recipe_caps=recipe_caps)
    _own(folder, uid)  # the job's uid reads the proposal (its files may be private); it is mounted read-only
    try:
        return _supervise(spec, folder, writable, on_progress)
    finally:
        _own(folder, os.geteuid())


def _start(spec: JobSpec, folder: Path, writable: Path | None, lines_w: int, info_w: int, stderr_w: int):
    filter_r, filter_w = os.pipe()
    try:
        os.write(filter_w, seccomp.sandbox_filter())  # a few hundred bytes: fits in the pipe at once
        os.close(filter_w)
        cmd = command(folder, writable, spec.budget, filter_r, info_w)
        try:
            return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr_w,
                                    pass_fds=(filter_r, info_w, lines_w), env={}, start_new_session=True,
                                    umask=0o022)
        except OSError as exc:
            raise SandboxUnavailable(f"cannot start bubblewrap: {exc}") from None
    finally:
        os.close(filter_r)


def _supervise(spec: JobSpec, folder: Path, writable: Path | None, on_progress) -> JobReport:
    """Start the job, feed it its spec once it is in its resource group, relay its lines, enforce wall and disk."""
    budget = spec.budget
    info_r, info_w = os.pipe()
    lines_r, lines_w = os.pipe()
    stderr_r, stderr_w = os.pipe()
    stderr = _Tail(stderr_r)
    group = process = pid1 = None
    report = reason = None
    try:
        try:
            process = _start(spec, folder, writable, lines_w, info_w, stderr_w)
        finally:
            for fd in (info_w, lines_w, stderr_w):
                os.close(fd)
        start = time.monotonic()
        pid1 = launcher.info_child_pid(info_r, START_SECONDS)
        if pid1 is None:
            raise ForgeJobFailed(_why_no_report(process.wait(), stderr.text(), budget))
        # The job waits for its spec before it does anything: by then it counts against the group's budget.
        group = ResourceGroup.create("forge", budget.memory_bytes, budget.processes, reaper=pid1)
        group.add(pid1)
        try:  # stdin then stays open: the job ends itself when it sees EOF, i.e. when this process is gone
            process.stdin.write(spec.model_dump_json().encode() + b"\n" + str(lines_w).encode() + b"\n")
            process.stdin.flush()
        except OSError:
            pass
        lines = _Lines(lines_r)
        while True:
            stderr.read()
            for line in lines.read():
                parsed = _parse(line)
                if parsed.report is not None:
                    report = parsed.report
                elif parsed.progress is not None and on_progress is not None:
                    on_progress(dict(parsed.progress))
            if process.poll() is not None and lines.closed:
                break
            if group.memory_exceeded():
                reason = _memory(budget)
                break
            if time.monotonic() - start > budget.wall_seconds:
                reason = f"the forge job ran past its wall-clock budget ({budget.wall_seconds:g} s)"
                break
            if writable is not None and _folder_bytes(writable, budget.disk_bytes) > budget.disk_bytes:
                reason = f"the forge job wrote more than its disk budget ({budget.disk_bytes >> 20} MiB)"
                break
            select.select([lines_r, stderr_r], [], [], POLL_SECONDS)
    except ForgeJobFailed as exc:
        reason = str(exc)
    finally:
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
        os.close(lines_r)
        os.close(info_r)
        stderr.read()
        os.close(stderr_r)
    tail = stderr.text()
    if reason is None and writable is not None and _folder_bytes(writable, budget.disk_bytes) > budget.disk_bytes:
        reason = f"the forge job wrote more than its disk budget ({budget.disk_bytes >> 20} MiB)"
    if reason is not None:
        raise ForgeJobFailed(reason)
    if report is None:
        raise ForgeJobFailed(_why_no_report(process.returncode, tail, budget))
    return report


def _memory(budget: ForgeBudget) -> str:
    return f"the forge job ran out of memory (budget {budget.memory_bytes >> 20} MiB)"


class _Tail:
    """What bubblewrap and the job write on stderr: drained as it comes, only the last 4 KiB kept (a job that
    prints without end costs the host nothing)."""

    def __init__(self, fd: int):
        self.fd, self.data = fd, b""
        os.set_blocking(fd, False)

    def read(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            self.data = (self.data + chunk)[-4096:]

    def text(self) -> str:
        text = self.data.decode("utf-8", "replace")
        if text.strip():
            log.info("forge job stderr (end): %s", text[-1000:])
        return text


def _why_no_report(status: int | None, stderr_tail: str, budget: ForgeBudget) -> str:
    """A one-line reason from the exit status (the kernel's word, not the job's)."""
    if status is not None and status < 0:
        sig = -status
    elif status is not None and status > 128:
        sig = status - 128  # bubblewrap reports a killed child as 128 + signal
    else:
        sig = None
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and "CPU" in stderr_tail):
        return f"the forge job used up its CPU budget ({budget.cpu_seconds:g} s)"
    if sig == signal.SIGXFSZ:
        return f"the forge job wrote a file larger than its disk budget ({budget.disk_bytes >> 20} MiB)"
    if "MemoryError" in stderr_tail or "std::bad_alloc" in stderr_tail or "Cannot allocate memory" in stderr_tail:
        return _memory(budget)
    if sig is not None:
        return f"the forge job was killed by signal {signal.Signals(sig).name}"
    if "bwrap" in stderr_tail and status not in (0, None):
        raise SandboxUnavailable(launcher.diagnose(stderr_tail))
    return f"the forge job exited ({status}) without a report"

