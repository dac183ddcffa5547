"""The sandbox's seccomp-BPF filters, built with libseccomp (through ctypes) for the machine's own architecture.

libseccomp knows every architecture's syscall table, checks the architecture word of every call first and
rejects foreign ABIs (x32 and i386 calls on x86-64, AArch32 on AArch64); we only name syscalls. The binding is
a few ctypes calls into ``libseccomp.so.2`` (Debian: ``libseccomp2``), so nothing needs compiling; the programs
are exported as raw BPF and installed by bubblewrap and by the warm server, which only need the bytes.

Two filters:

* ``sandbox_filter()`` is handed to bubblewrap (``--seccomp FD``) and covers everything in the sandbox: it refuses
  (EPERM) sockets, ptrace and cross-process memory access, every way into a new namespace or mount, kernel
  keyrings, BPF, perf, io_uring, userfaultfd, SysV IPC and POSIX message queues (these would let one answer
  leave state for the next), module loading, clock and host settings. Any syscall from a foreign ABI kills the
  process, since those numbers would bypass the table.
* ``answer_filter()`` is stacked on top in the process that runs one answer: it also refuses exec (the answer
  gets no other programs) and any signal or pidfd aimed at pid 1 (the warm server) or at -1 (everyone).

Where libseccomp is missing, or the architecture is not one listed in ``ARCHES``, nothing runs: ``check()``
raises SandboxUnavailable saying why.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform

from interpctf.errors import SandboxUnavailable

# platform.machine() -> (libseccomp's name for the architecture, index of clone()'s flags argument). s390 passes
# the new stack first (CLONE_BACKWARDS2); every other architecture listed passes the flags first.
ARCHES = {
    "x86_64": ("x86_64", 0), "AMD64": ("x86_64", 0), "aarch64": ("aarch64", 0), "arm64": ("aarch64", 0),
    "armv7l": ("arm", 0), "armv8l": ("arm", 0), "i686": ("x86", 0), "i386": ("x86", 0),
    "ppc64le": ("ppc64le", 0), "riscv64": ("riscv64", 0), "s390x": ("s390x", 1),
}

REFUSED = (
    "socket", "socketpair", "ptrace", "syslog", "uselib", "personality", "vhangup", "pivot_root", "adjtimex",
    "chroot", "acct", "settimeofday", "mount", "umount2", "swapon", "swapoff", "reboot", "sethostname",
    "setdomainname", "iopl", "ioperm", "init_module", "delete_module", "quotactl", "nfsservctl",
    "lookup_dcookie", "clock_settime", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
    "mq_getsetattr", "kexec_load", "add_key", "request_key", "keyctl", "migrate_pages", "unshare",
    "move_pages", "perf_event_open", "fanotify_init", "name_to_handle_at", "open_by_handle_at", "clock_adjtime",
    "setns", "process_vm_readv", "process_vm_writev", "kcmp", "finit_module", "kexec_file_load", "bpf",
    "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "open_tree", "move_mount", "fsopen",
    "fsconfig", "fsmount", "fspick", "pidfd_getfd", "process_madvise", "mount_setattr", "shmget", "shmat",
    "shmctl", "semget", "semop", "semctl", "shmdt", "msgget", "msgsnd", "msgrcv", "msgctl", "semtimedop",
    "ipc",  # SysV IPC's single entry point on architectures that have one (i386, s390)
)
SIGNAL_CALLS = ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open")
EXEC_CALLS = ("execve", "execveat")
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: clone() must not make namespaces.
CLONE_NEW_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)

_ACT_KILL_PROCESS, _ACT_ALLOW = 0x80000000, 0x7FFF0000
_EPERM, _ENOSYS = 1, 38
_ATTR_ACT_BADARCH = 2
_CMP_MASKED_EQ = 7
_NR_SCMP_ERROR = -1


def _errno(code: int) -> int:
    return 0x00050000 | code


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


class _Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint), ("minor", ctypes.c_uint), ("micro", ctypes.c_uint)]


@functools.lru_cache(maxsize=1)
def _lib():
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError:
        raise SandboxUnavailable("libseccomp is not installed: run 'apt-get install libseccomp2'") from None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(_ArgCmp)]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
    lib.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_arch_native.restype = ctypes.c_uint32
    lib.seccomp_arch_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.seccomp_arch_remove.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_version.restype = ctypes.POINTER(_Version)
    return lib


def version() -> str:
    """libseccomp's version, e.g. "2.5.4" (SandboxUnavailable if it is missing)."""
    v = _lib().seccomp_version().contents
    return f"{v.major}.{v.minor}.{v.micro}"


def native_arch() -> str:
    """libseccomp's name for this machine's architecture; SandboxUnavailable if the sandbox has no policy for it."""
    machine = platform.machine()
    if machine not in ARCHES:
        raise SandboxUnavailable(f"the sandbox has no seccomp policy for the {machine or 'unknown'} architecture "
                                 f"(known: {', '.join(sorted({a for a, _ in ARCHES.values()}))})")
    return ARCHES[machine][0]


def check() -> None:
    """Raise SandboxUnavailable with a one-line reason unless both filters can be built here."""
    sandbox_filter()
    answer_filter()


class _Filter:
    """One libseccomp filter context for one architecture: rules by syscall name, exported as raw BPF."""

    def __init__(self, arch: str) -> None:
        self.lib = _lib()
        self.token = self.lib.seccomp_arch_resolve_name(arch.encode())
        if not self.token:
            raise SandboxUnavailable(f"libseccomp {version()} does not know the {arch} architecture")
        self.ctx = self.lib.seccomp_init(_ACT_ALLOW)
        if not self.ctx:
            raise SandboxUnavailable("libseccomp cannot create a filter")
        native = self.lib.seccomp_arch_native()
        if self.token != native:  # a filter for another architecture (the tests build them all)
            self._ok(self.lib.seccomp_arch_add(self.ctx, self.token), "add the architecture")
            self._ok(self.lib.seccomp_arch_remove(self.ctx, native), "remove the native architecture")
        self._ok(self.lib.seccomp_attr_set(self.ctx, _ATTR_ACT_BADARCH, _ACT_KILL_PROCESS), "set the bad-arch action")

    def _ok(self, rc: int, what: str) -> None:
        if rc < 0:
            self.close()
            raise SandboxUnavailable(f"libseccomp cannot {what}: {os.strerror(-rc)}")

    def rule(self, action: int, name: str, *masked: tuple[int, int, int]) -> None:
        """``action`` for ``name`` when every (argument, mask, value) holds: ``arg & mask == value``.

        libseccomp takes the number in the native table (a negative pseudo-number for a syscall the native
        architecture lacks) and translates it for the filter's architecture, skipping it where it does not exist.
        """
        nr = self.lib.seccomp_syscall_resolve_name(name.encode())
        if nr == _NR_SCMP_ERROR:
            raise SandboxUnavailable(f"libseccomp {version()} does not know the syscall {name}")
        cmps = (_ArgCmp * max(1, len(masked)))(*[_ArgCmp(a, _CMP_MASKED_EQ, m, v) for a, m, v in masked])
        self._ok(self.lib.seccomp_rule_add_array(self.ctx, action, nr, len(masked), cmps), f"add a rule for {name}")

    def export(self) -> bytes:
        fd = os.memfd_create("seccomp")
        try:
            self._ok(self.lib.seccomp_export_bpf(self.ctx, fd), "export the filter")
            os.lseek(fd, 0, os.SEEK_SET)
            chunks = []
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)
            self.close()

    def close(self) -> None:
        if self.ctx:
            self.lib.seccomp_release(self.ctx)
            self.ctx = None


def _arch(arch: str | None) -> tuple[str, int]:
    name = arch or native_arch()
    flags_arg = next((index for n, index in ARCHES.values() if n == name), None)
    if flags_arg is None:
        raise SandboxUnavailable(f"the sandbox has no seccomp policy for the {name} architecture")
    return name, flags_arg


def sandbox_filter(arch: str | None = None) -> bytes:
    """The filter for the whole sandbox, as the raw ``struct sock_filter`` array bubblewrap reads."""
    return _sandbox_filter(*_arch(arch))


def answer_filter(arch: str | None = None) -> bytes:
    """The extra filter for the process running one answer: no exec, no signals to pid 1 or -1."""
    return _answer_filter(_arch(arch)[0])


@functools.lru_cache(maxsize=16)
def _sandbox_filter(name: str, flags_arg: int) -> bytes:
    f = _Filter(name)
    for syscall in REFUSED:
        f.rule(_errno(_EPERM), syscall)
    for flag in CLONE_NEW_FLAGS:
        f.rule(_errno(_EPERM), "clone", (flags_arg, flag, flag))
    # clone3 passes its flags in memory BPF cannot read; ENOSYS makes glibc fall back to clone().
    f.rule(_errno(_ENOSYS), "clone3")
    return f.export()


@functools.lru_cache(maxsize=16)
def _answer_filter(name: str) -> bytes:
    f = _Filter(name)
    for syscall in EXEC_CALLS:
        f.rule(_errno(_EPERM), syscall)
    for syscall in SIGNAL_CALLS:
        for target in (1, 0xFFFFFFFF):  # pid_t is 32 bits: compare the low half of the register only
            f.rule(_errno(_EPERM), syscall, (0, 0xFFFFFFFF, target))
    return f.export()
