"""The seccomp filters built with libseccomp: the policy for each architecture, enforced by the kernel here."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from interpctf.errors import SandboxUnavailable
from interpctf.sandbox import seccomp

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# Syscall numbers per architecture, from each kernel's unistd tables (arch/x86/entry/syscalls/syscall_64.tbl,
# include/uapi/asm-generic/unistd.h).
NUMBERS = {
    "x86_64": {"socket": 41, "ptrace": 101, "mount": 165, "unshare": 272, "bpf": 321, "io_uring_setup": 425,
               "shmget": 29, "getpid": 39, "clone": 56, "clone3": 435, "execve": 59, "kill": 62},
    "aarch64": {"socket": 198, "ptrace": 117, "mount": 40, "unshare": 97, "bpf": 280, "io_uring_setup": 425,
                "shmget": 194, "getpid": 172, "clone": 220, "clone3": 435, "execve": 221, "kill": 129},
}
HEADER = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")


def instructions(program: bytes) -> list[tuple[int, int, int, int]]:
    return list(struct.iter_unpack("<HBBI", program))


def run_bpf(program: bytes, arch: int, nr: int, *args: int) -> int:
    """What a classic-BPF seccomp program returns for one call (the instructions libseccomp emits)."""
    data = struct.pack("<iIQ6Q", nr, arch, 0, *(list(args) + [0] * (6 - len(args))))
    code = instructions(program)
    a, mem, pc = 0, [0] * 16, 0
    while True:
        op, jt, jf, k = code[pc]
        pc += 1
        if op == 0x20:  # ld [k]
            a = struct.unpack_from("<I", data, k)[0]
        elif op == 0x60:  # ld M[k]
            a = mem[k]
        elif op == 0x02:  # st M[k]
            mem[k] = a
        elif op == 0x54:  # and #k
            a &= k
        elif op == 0x05:  # ja
            pc += k
        elif op in (0x15, 0x25, 0x35, 0x45):  # jeq, jgt, jge, jset #k
            taken = {0x15: a == k, 0x25: a > k, 0x35: a >= k, 0x45: bool(a & k)}[op]
            pc += jt if taken else jf
        elif op == 0x06:  # ret #k
            return k
        else:
            raise AssertionError(f"unexpected BPF instruction {op:#x}")


EPERM, ENOSYS, ALLOW, KILL = 0x50001, 0x50026, 0x7FFF0000, 0x80000000


@pytest.mark.parametrize("arch", sorted(AUDIT_ARCH))
def test_each_architecture_gets_the_policy(arch):
    program, audit, nr = seccomp.sandbox_filter(arch), AUDIT_ARCH[arch], NUMBERS[arch]
    for name in ("socket", "ptrace", "mount", "unshare", "bpf", "io_uring_setup", "shmget"):
        assert run_bpf(program, audit, nr[name]) == EPERM, (arch, name)
    for name in ("getpid", "clone"):
        assert run_bpf(program, audit, nr[name]) == ALLOW, (arch, name)
    assert run_bpf(program, audit, nr["clone"], 0x10000000 | 17) == EPERM  # CLONE_NEWUSER
    assert run_bpf(program, audit, nr["clone3"]) == ENOSYS
    other = next(a for name, a in AUDIT_ARCH.items() if name != arch)
    assert run_bpf(program, other, nr["getpid"]) == KILL  # a foreign ABI is killed
    answer = seccomp.answer_filter(arch)
    assert run_bpf(answer, audit, nr["execve"]) == EPERM
    for target in (1, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
        assert run_bpf(answer, audit, nr["kill"], target, 9) == EPERM
    assert run_bpf(answer, audit, nr["kill"], 7, 9) == ALLOW
    assert run_bpf(answer, audit, nr["getpid"]) == ALLOW


@pytest.mark.parametrize("arch", sorted(AUDIT_ARCH))
@pytest.mark.parametrize("build", [seccomp.sandbox_filter, seccomp.answer_filter])
def test_programs_are_well_formed(arch, build):
    program = instructions(build(arch))
    assert 0 < len(program) < 4096
    for index, (code, jt, jf, _k) in enumerate(program):
        if code & 0x07 == 0x05 and code != 0x05:  # conditional jumps land inside the program
            assert index + 1 + max(jt, jf) < len(program)
    assert program[-1][0] == 0x06  # ends with a return


@pytest.mark.skipif(not HEADER.exists(), reason="kernel headers not installed")
def test_numbers_match_this_machine_s_headers():
    numbers = {m[0]: int(m[1]) for m in re.findall(r"#define __NR_(\w+) (\d+)", HEADER.read_text())}
    program = seccomp.sandbox_filter("x86_64")
    for name in seccomp.REFUSED:
        if name in numbers:
            assert run_bpf(program, AUDIT_ARCH["x86_64"], numbers[name]) == EPERM, name


def test_an_unknown_architecture_fails_closed(monkeypatch):
    monkeypatch.setattr(seccomp.platform, "machine", lambda: "sparc64")
    with pytest.raises(SandboxUnavailable, match="no seccomp policy for the sparc64 architecture"):
        seccomp.check()


def test_missing_libseccomp_fails_closed(monkeypatch):
    monkeypatch.setattr(seccomp.ctypes.util, "find_library", lambda name: "libseccomp-not-here.so")
    monkeypatch.setattr(seccomp, "_lib", seccomp._lib.__wrapped__)
    with pytest.raises(SandboxUnavailable, match="apt-get install libseccomp2"):
        seccomp.version()


# Installs both filters in a child process, then reports what the kernel did with each call.
ENFORCE = textwrap.dedent("""
    import ctypes, os, struct, sys
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    def install(program):
        buf = ctypes.create_string_buffer(program, len(program))
        prog = ctypes.create_string_buffer(struct.pack("@HQ", len(program) // 8, ctypes.addressof(buf)))
        assert libc.prctl(22, 2, ctypes.addressof(prog), 0, 0) == 0
    assert libc.prctl(38, 1, 0, 0, 0) == 0
    for path in sys.argv[1:]:
        install(open(path, "rb").read())
    def call(*args):
        rc = libc.syscall(*args)
        return "ok" if rc >= 0 else os.strerror(ctypes.get_errno())
    print(call(41, 2, 1, 0), call(272, 0x10000000), call(56, 0x10000000 | 17, 0, 0, 0, 0),
          call(435, 0, 0), call(101, 16, 1, 0, 0), call(62, 1, 0), call(62, -1, 0), call(39),
          call(59, b"/bin/true", 0, 0), sep="|", flush=True)
    libc.syscall(0x40000000 + 39)  # an x32-ABI getpid: the process is killed
    print("survived")
""")


def test_the_kernel_enforces_the_policy(tmp_path):
    sandbox, answer = tmp_path / "sandbox.bpf", tmp_path / "answer.bpf"
    sandbox.write_bytes(seccomp.sandbox_filter())
    answer.write_bytes(seccomp.answer_filter())
    run = subprocess.run([sys.executable, "-c", ENFORCE, str(sandbox), str(answer)], capture_output=True,
                         text=True, timeout=60)
    refused = "Operation not permitted"
    socket, unshare, clone_newuser, clone3, ptrace, kill_1, kill_all, getpid, execve = run.stdout.split("\n")[0] \
        .split("|")
    assert [socket, unshare, clone_newuser, ptrace, kill_1, kill_all, execve] == [refused] * 7
    assert clone3 == "Function not implemented" and getpid == "ok"
    assert "survived" not in run.stdout and run.returncode == -31  # SIGSYS
