"""The bubblewrap command line that starts the warm server, and the checks that it can start at all.

Two ways to launch, by who we are on the host:

* as root (the grader here): bubblewrap runs privileged, without a user namespace, keeping only CAP_SETUID and
  CAP_SETGID, and the server's first act is to become a fresh unprivileged host uid. A user namespace is not
  used here on purpose: root's namespaced uid maps back to host uid 0, for which the kernel never enforces
  RLIMIT_NPROC, so a fork bomb would not be stopped. Nesting new user namespaces is refused by seccomp.
* as any other user: bubblewrap runs unprivileged in its own user namespace (``--unshare-all --unshare-user
  --disable-userns``) as that user, for whom RLIMIT_NPROC is enforced.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from interpctf.errors import SandboxUnavailable
from interpctf.sandbox import seccomp

INSTALL_HINT = "bubblewrap (bwrap) is not installed: run 'apt-get install bubblewrap'"
SANDBOX_PYTHON = "/opt/python"
SANDBOX_SITE = "/opt/site"
SANDBOX_WORKER = "/opt/interpctf/worker.py"
# Sandboxed processes run as a random uid from this range: no host account, no host file, and (being fresh per
# sandbox) no RLIMIT_NPROC count shared with another sandbox or with anything on the host.
UID_BASE, UID_RANGE = 1_600_000_000, 100_000_000
TMP_BYTES = 64 << 20  # size of the sandbox's /tmp (a tmpfs in memory)


@dataclass
class Launch:
    """A started (not yet handshaken) sandbox process."""

    process: subprocess.Popen
    stderr: object  # the temporary file bubblewrap and the server write their own errors to
    uid: int
    info: int  # read end of bubblewrap's --info-fd, which reports the server's host pid


def find_bwrap() -> str:
    """The bubblewrap executable on PATH, or SandboxUnavailable saying how to install it."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(INSTALL_HINT)
    return path


def _python_layout() -> tuple[Path, str, str | None]:
    """(host Python prefix, interpreter path inside the sandbox, LD_LIBRARY_PATH inside or None)."""
    prefix = Path(sys.base_prefix).resolve()
    executable = Path(sys.executable).resolve()
    try:
        relative = executable.relative_to(prefix)
    except ValueError:
        raise SandboxUnavailable(f"the Python interpreter {executable} is not inside {prefix}") from None
    libdir = sysconfig.get_config_var("LIBDIR")
    library_path = None
    if sysconfig.get_config_var("Py_ENABLE_SHARED") and libdir:
        try:  # the interpreter finds libpython through an absolute RUNPATH that moves with the bind
            library_path = str(Path(SANDBOX_PYTHON) / Path(libdir).resolve().relative_to(prefix))
        except ValueError:
            library_path = None
    return prefix, str(Path(SANDBOX_PYTHON) / relative), library_path


def _numpy_dirs() -> list[Path]:
    spec = importlib.util.find_spec("numpy")
    if spec is None or not spec.submodule_search_locations:
        raise SandboxUnavailable("numpy is not installed in the grader's Python")
    package = Path(list(spec.submodule_search_locations)[0]).resolve()
    dirs = [package]
    vendored = package.parent / "numpy.libs"  # shared libraries of the wheel (OpenBLAS, gfortran)
    if vendored.is_dir():
        dirs.append(vendored)
    return dirs


def command(uid: int, seccomp_fd: int, info_fd: int) -> list[str]:
    """The full bubblewrap command line for a warm server running as ``uid``."""
    prefix, python, library_path = _python_layout()
    worker = Path(__file__).with_name("worker.py").resolve()
    cmd = [find_bwrap()]
    if os.geteuid() == 0:
        cmd += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-all", "--unshare-user", "--disable-userns"]
    cmd += ["--die-with-parent", "--new-session", "--clearenv", "--as-pid-1", "--hostname", "sandbox"]
    # Directories are made explicitly: bubblewrap would make missing parents mode 0700, unreadable to the uid.
    for directory in ("/usr", "/opt", SANDBOX_SITE, str(Path(SANDBOX_WORKER).parent)):
        cmd += ["--perms", "0755", "--dir", directory]
    for system in ("/usr/lib", "/usr/lib64", "/lib", "/lib64"):  # libc, libm, libffi, libstdc++ ...
        if os.path.islink(system):
            cmd += ["--symlink", os.readlink(system), system]
        elif os.path.isdir(system):
            cmd += ["--ro-bind", system, system]
    cmd += ["--ro-bind", str(prefix), SANDBOX_PYTHON]
    site = prefix / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    if site.is_dir():  # the interpreter's own site-packages: hide it, only numpy is offered
        cmd += ["--tmpfs", str(SANDBOX_PYTHON / site.relative_to(prefix))]
    for directory in _numpy_dirs():
        cmd += ["--ro-bind", str(directory), f"{SANDBOX_SITE}/{directory.name}"]
    cmd += ["--ro-bind", str(worker), SANDBOX_WORKER]
    # The server stays in /: a cwd on /tmp would keep each answer's detached /tmp alive (see tmpfs.py).
    cmd += ["--dev", "/dev", "--perms", "1777", "--size", str(TMP_BYTES), "--tmpfs", "/tmp", "--chdir", "/"]
    cmd += ["--seccomp", str(seccomp_fd), "--info-fd", str(info_fd)]
    if library_path:
        cmd += ["--setenv", "LD_LIBRARY_PATH", library_path]
    cmd += ["--", python, "-I", "-S", "-B", SANDBOX_WORKER, str(uid)]
    return cmd


def launch() -> Launch:
    """Start bubblewrap with the warm server inside; the caller does the handshake."""
    seccomp.check()  # fail closed: no filter for this machine, no sandbox
    uid = UID_BASE + secrets.randbelow(UID_RANGE)
    read_end, write_end = os.pipe()
    info_r, info_w = os.pipe()
    try:
        os.write(write_end, seccomp.sandbox_filter())  # a few hundred bytes: fits in the pipe at once
        os.close(write_end)
        cmd = command(uid, read_end, info_w)
        stderr = tempfile.TemporaryFile()
        try:
            process = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                pass_fds=(read_end, info_w),
                env={},  # nothing to leak even before --clearenv
                start_new_session=True,  # its own process group, so a kill reaches bubblewrap's helpers too
                umask=0o022,
            )
        except OSError as exc:
            stderr.close()
            os.close(info_r)
            raise SandboxUnavailable(f"cannot start bubblewrap: {exc}") from None
    finally:
        os.close(read_end)
        os.close(info_w)
    return Launch(process=process, stderr=stderr, uid=uid, info=info_r)


def server_pid(launch: Launch, timeout: float = 5.0) -> int | None:
    """The server's host pid, from bubblewrap's --info-fd (written before the server runs)."""
    return info_child_pid(launch.info, timeout)


def info_child_pid(fd: int, timeout: float) -> int | None:
    """The sandboxed child's host pid from bubblewrap's --info-fd (None if bubblewrap failed to start it)."""
    import json
    import select
    import time

    data, deadline = b"", time.monotonic() + timeout
    while len(data) < 4096 and select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
        chunk = os.read(fd, 4096)
        if not chunk:
            return None
        data += chunk
        try:
            return int(json.loads(data)["child-pid"])
        except (ValueError, KeyError, TypeError):
            continue
    return None


def diagnose(stderr_text: str) -> str:
    """A one-line reason from what bubblewrap printed when it could not start."""
    text = " ".join(stderr_text.split())
    lowered = text.lower()
    if "namespace" in lowered or "uid map" in lowered or "operation not permitted" in lowered:
        return (f"bubblewrap cannot create namespaces here ({text[:200]}); enable unprivileged user namespaces "
                "(sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces>0) or run the grader as root")
    return f"the sandbox did not start: {text[:300] or 'no message'}"
