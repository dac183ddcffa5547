"""A fresh, size-capped tmpfs on the sandbox's /tmp for every answer, mounted from outside the sandbox.

Nothing inside the sandbox can mount (no capabilities, seccomp refuses mount). So the host starts, per warm
sandbox, this file as a small helper process that joins the sandbox's mount namespace (and, for an unprivileged
grader, the user namespace that owns it) and then, on each request from the host, lazily detaches the /tmp of the
answer that just ended and mounts a new empty tmpfs in its place. The detached one is freed by the kernel once
its last user is gone, and the server has killed every process of the answer by then. So nothing one answer
wrote exists for the next, and no recursive deletion is needed (which a 1,200-level tree or a mode-000 folder
could defeat).

The helper is single-threaded (setns into a mount namespace requires it), reads only one-byte commands from the
host's pipe, never anything from the sandbox, and exits when the host closes that pipe.
"""

from __future__ import annotations

import os
import subprocess
import sys

_CLONE_NEWNS, _CLONE_NEWUSER = 0x00020000, 0x10000000
_MNT_DETACH, _UMOUNT_NOFOLLOW = 2, 8
_MS_NOSUID, _MS_NODEV = 2, 4
_EINVAL = 22
REFRESH, DONE = b"R", b"K"


class FreshTmp:
    """The host's handle on one sandbox's /tmp helper."""

    def __init__(self, server_pid: int, size_bytes: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", os.path.abspath(__file__), str(server_pid), str(int(size_bytes))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={}, bufsize=0,
        )
        self._pending = False
        self._expect("start")

    def refresh(self) -> None:
        """Start replacing the sandbox's /tmp by a new empty tmpfs; ``ready`` waits for it.

        Split in two because the unmount waits for an RCU grace period (a few ms): the host does its own work
        on the answer's result meanwhile.
        """
        try:
            self.process.stdin.write(REFRESH)
        except OSError as exc:
            raise OSError(f"the /tmp helper is gone ({exc})") from None
        self._pending = True

    def ready(self) -> None:
        """Return once the last refresh is done; OSError if it failed. Call before the next answer starts."""
        if self._pending:
            self._pending = False
            self._expect("refresh")

    def _expect(self, what: str) -> None:
        reply = self.process.stdout.read(1)
        if reply != DONE:
            self.close()
            error = self.process.stderr.read(400).decode("utf-8", "replace").strip() if self.process.stderr else ""
            raise OSError(f"cannot {what} the sandbox's /tmp: {' '.join(error.split()) or 'the helper exited'}")

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                stream.close()
            except OSError:
                pass


# ------------------------------------------------------------------------------------- the helper process
def _check(result: int, what: str, ctypes) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _helper(server_pid: int, size: int) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    user = os.open(f"/proc/{server_pid}/ns/user", os.O_RDONLY)
    mnt = os.open(f"/proc/{server_pid}/ns/mnt", os.O_RDONLY)
    if os.fstat(user).st_ino != os.stat("/proc/self/ns/user").st_ino:
        _check(libc.setns(user, _CLONE_NEWUSER), "setns(user)", ctypes)  # unprivileged: the namespace we own
    _check(libc.setns(mnt, _CLONE_NEWNS), "setns(mnt)", ctypes)
    os.close(user)
    os.close(mnt)
    os.chdir("/")
    options = f"size={size},mode=1777".encode()
    os.write(1, DONE)
    while os.read(0, 1) == REFRESH:
        if libc.umount2(b"/tmp", _MNT_DETACH | _UMOUNT_NOFOLLOW) != 0 and ctypes.get_errno() != _EINVAL:
            _check(-1, "umount /tmp", ctypes)
        _check(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", _MS_NOSUID | _MS_NODEV, options), "mount /tmp", ctypes)
        os.write(1, DONE)


if __name__ == "__main__":
    _helper(int(sys.argv[1]), int(sys.argv[2]))
