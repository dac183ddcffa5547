"""Real attacks, each run in the warm sandbox: each must be contained, reported as a failed answer, and the
same sandbox must grade a normal answer correctly right after."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import textwrap
import threading

import numpy
import pytest

from interpctf.sandbox import RAISED, WarmSandbox
from interpctf.sandbox.result import MapResult

from sandbox_support import PAIRS, TEST_LIMITS

FEW = PAIRS[:8]


def run(warm: WarmSandbox, source: str, inputs=FEW, unpack: bool = True, limits=None) -> MapResult:
    return warm.map(textwrap.dedent(source), "label", inputs, unpack=unpack, limits=limits)


def assert_failed(result: MapResult) -> None:
    assert result.failure is not None or bool((result.status != 0).any()), result
    assert not result.ok


def test_infinite_loop(warm, healthy):
    result = run(warm, """
        def label(x, y):
            while True:
                pass
    """)
    assert_failed(result)
    assert result.failure.startswith("time limit exceeded"), result.failure
    healthy()


def test_cpu_burn_in_c_extension(warm, healthy):
    result = run(warm, """
        import numpy as np
        def label(x, y):
            a = np.ones((1500, 1500))
            while True:
                a = np.sin(a @ a)  # all the time is spent inside numpy's C code
    """)
    assert_failed(result)
    assert result.failure.startswith("time limit exceeded"), result.failure
    healthy()


@pytest.mark.parametrize("bomb", [
    "blob = bytearray(10 ** 10)",
    "import numpy as np\n    blob = np.ones(10 ** 10)",
    "blob = []\n    while True:\n        blob.append(bytearray(1 << 20))",
])
def test_memory_bomb(warm, healthy, bomb):
    # A smaller address space and a longer clock: filling memory must hit the memory limit, not the clock, even
    # on a busy machine.
    limits = dataclasses.replace(TEST_LIMITS, memory_bytes=256 << 20, wall_seconds=20, cpu_seconds=20)
    result = run(warm, f"""
def label(x, y):
    {bomb}
    return 0
""", limits=limits)
    assert_failed(result)
    assert result.failure == "memory limit exceeded"
    healthy()


def test_fork_bomb(warm, healthy):
    result = run(warm, """
        import os
        def label(x, y):
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
    """)
    assert_failed(result)
    assert result.failure.startswith("time limit exceeded"), result.failure
    healthy()  # includes: no process of the sandbox uid is left besides the server, the host can fork


def test_reading_a_key_file(warm, healthy, tmp_path):
    secret = "KEY-" + os.urandom(8).hex()
    places = [tmp_path / "key.json", os.path.join(os.getcwd(), ".sandbox-test-key")]
    for place in places:
        with open(place, "w") as fh:
            fh.write(secret)
    try:
        repo_file = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "pyproject.toml"))
        for place in places + ["/root/.bashrc", "/etc/passwd", repo_file]:
            result = run(warm, f"""
                def label(x, y):
                    with open({str(place)!r}) as fh:
                        return int({secret!r} in fh.read()) + 10
            """)
            assert_failed(result)
            assert result.n_exceptions == len(FEW)
            assert "FileNotFoundError" in result.first_error, result.first_error
            assert not (result.values == 11).any()
    finally:
        os.unlink(places[1])
    healthy()


def test_listing_the_file_system_finds_nothing_of_the_host(warm, healthy):
    result = run(warm, """
        import os
        def label(x, y):
            found = [p for p in ("/root", "/work", "/home", "/etc", "/proc", "/sys", "/var") if os.path.exists(p)]
            if found or len(os.listdir("/")) > 7:
                return 1
            raise RuntimeError("nothing to see")
    """)
    assert_failed(result)
    assert (result.status == RAISED).all(), result
    healthy()


def test_environment_secrets(sandbox_ok, monkeypatch):
    secret = "ENV-" + os.urandom(8).hex()
    monkeypatch.setenv("INTERPCTF_SECRET", secret)
    with WarmSandbox(TEST_LIMITS) as fresh:  # started after the secret was set, so it could inherit it
        result = run(fresh, f"""
            import os
            def label(x, y):
                if any({secret!r} in v for v in os.environ.values()):
                    return 1
                return int(os.environ["INTERPCTF_SECRET"] == {secret!r})
        """)
        assert_failed(result)
        assert "KeyError" in result.first_error
        result = run(fresh, """
            import os
            def label(x, y):
                return sum(len(k) + len(v) for k, v in os.environ.items())
        """)
        assert result.ok and int(result.values[0]) < 100  # only the server's own few BLAS settings


def test_network_connection_to_loopback(warm, healthy):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(1.0)
    port = listener.getsockname()[1]
    try:
        result = run(warm, f"""
            import socket
            def label(x, y):
                socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"stolen")
                return 1
        """)
        assert_failed(result)
        assert "PermissionError" in result.first_error, result.first_error
        with pytest.raises(socket.timeout):
            listener.accept()  # nothing ever arrived
    finally:
        listener.close()
    healthy()


def test_writing_a_large_file(warm, healthy):
    result = run(warm, """
        def label(x, y):
            with open("/tmp/big", "wb") as fh:
                for _ in range(64):
                    fh.write(b"x" * (1 << 20))
            return 0
    """)
    assert_failed(result)
    assert result.failure == "file size limit exceeded"
    healthy()


def test_huge_stdout(warm, healthy):
    result = run(warm, """
        import sys
        def label(x, y):
            while True:
                sys.stdout.write("spam" * 10000)
                print("eggs" * 1000, file=sys.stderr)
    """)
    assert_failed(result)
    assert result.failure == "output limit exceeded"
    healthy()


@pytest.mark.parametrize("call", [
    "subprocess.check_output(['/bin/sh', '-c', 'id'])",
    "subprocess.check_output([sys.executable, '-c', 'print(1)'])",
    "os.execv(sys.executable, [sys.executable, '-c', 'print(1)'])",
    "1 / (os.system('cat /etc/passwd') == 0)",
])
def test_running_programs(warm, healthy, call):
    result = run(warm, f"""
        import os, subprocess, sys
        def label(x, y):
            {call}
            return 1
    """)
    assert_failed(result)
    assert result.n_exceptions == len(FEW), result
    healthy()


def test_ctypes_memory_write(warm, healthy):
    result = run(warm, """
        import ctypes
        def label(x, y):
            ctypes.memset(0, 0xFF, 4096)  # write to address 0
            return 1
    """)
    assert_failed(result)
    assert result.failure == "killed by signal 11 (SIGSEGV)"
    healthy()


def test_ctypes_syscalls(warm, healthy):
    result = run(warm, """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        def label(x, y):
            calls = [
                libc.ptrace(16, 1, 0, 0),  # PTRACE_ATTACH to the server
                libc.syscall(272, 0x10000000),  # unshare(CLONE_NEWUSER)
                libc.syscall(41, 2, 1, 0),  # socket(AF_INET, SOCK_STREAM)
                libc.syscall(62, 1, 9),  # kill(1, SIGKILL)
                libc.syscall(29, 0, 4096, 0o1600),  # shmget(IPC_PRIVATE)
                libc.syscall(0x40000000 + 39),  # an x32-ABI syscall
            ]
            if all(c == -1 for c in calls[:5]):
                raise PermissionError(f"refused: {calls}, errno {ctypes.get_errno()}")
            return 1
    """)
    assert_failed(result)  # the x32 call kills the process; the others are refused with EPERM
    assert result.failure == "killed by signal 31 (SIGSYS)", result
    healthy()


def test_signal_tampering(warm, healthy):
    result = run(warm, """
        import signal, time
        def label(x, y):
            for sig in (signal.SIGTERM, signal.SIGALRM, signal.SIGXCPU, signal.SIGINT, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            signal.alarm(1)
            signal.setitimer(signal.ITIMER_REAL, 0.5, 0.5)
            while True:
                time.sleep(0.01)
    """)
    assert_failed(result)
    assert result.failure == f"time limit exceeded ({TEST_LIMITS.wall_seconds:g} s wall)"
    healthy()


def test_ignoring_sigxcpu_while_burning(warm, healthy):
    result = run(warm, """
        import signal
        def label(x, y):
            signal.signal(signal.SIGXCPU, signal.SIG_IGN)
            while True:
                pass
    """)
    assert_failed(result)
    assert result.failure.startswith("time limit exceeded"), result.failure
    healthy()


def test_reading_proc(warm, healthy):
    result = run(warm, """
        def label(x, y):
            for path in ("/proc/1/environ", "/proc/self/status", "/proc/1/mem", "/sys/kernel"):
                try:
                    open(path, "rb").read(1)
                    return 1
                except OSError:
                    pass
            raise FileNotFoundError("no /proc here")
    """)
    assert_failed(result)
    assert (result.status == RAISED).all()
    healthy()


def test_sys_exit_in_label(warm, healthy):
    result = run(warm, """
        import sys
        def label(x, y):
            sys.exit(0)
    """)
    assert_failed(result)
    assert result.n_exceptions == len(FEW) and result.first_error.startswith("SystemExit")
    healthy()


def test_os_exit_in_label(warm, healthy):
    result = run(warm, """
        import os
        def label(x, y):
            os._exit(0)
    """)
    assert_failed(result)
    assert result.failure == "the answer exited before returning results"
    result = run(warm, "import os\nos._exit(3)\ndef label(x, y):\n    return 1\n")
    assert result.failure == "the answer exited with status 3 before returning results"
    healthy()


@pytest.mark.parametrize("raise_", ["raise KeyboardInterrupt", "raise BaseException('boom')",
                                    "raise GeneratorExit", "raise SystemExit(1)"])
def test_raising_base_exceptions(warm, healthy, raise_):
    result = run(warm, f"""
        def label(x, y):
            {raise_}
    """)
    assert_failed(result)
    assert result.failure is None and result.n_exceptions == len(FEW)
    healthy()


def test_weird_return_objects(warm, healthy):
    result = run(warm, """
        class Forever(int):
            def __index__(self):
                while True:
                    pass
            __int__ = __index__
            def __eq__(self, other):
                while True:
                    pass
            def __hash__(self):
                raise RuntimeError("no")
        class Liar:
            def __index__(self):
                raise RuntimeError("no")
            def __eq__(self, other):
                raise RuntimeError("no")
        def label(x, y):
            return [Forever(1), Liar(), 1.0, None, "1", (1,), 2 ** 70][x % 7]
    """, inputs=numpy.array([[i, 0] for i in range(7)]))
    assert_failed(result)
    assert result.failure is None and result.n_bad_values == 7, result
    assert result.first_error == "returned a Forever, not a 64-bit integer (input 0)"
    healthy()


def test_forging_the_result_protocol(warm, healthy):
    # The answer writes frames imitating the server's response and the child's result frame (with the value 7)
    # to its stdout and to every other descriptor, then returns 0.
    result = run(warm, """
        import os, struct, sys
        def label(x, y):
            n = 8
            child = b"ICCH" + struct.pack("<BIH", 0, n, 0) + bytes(n) + struct.pack("<8q", *[7] * n)
            server = b"ICRS" + struct.pack("<QIHH", 2, n, 0, 0) + bytes(n) + struct.pack("<8q", *[7] * n)
            sys.stdout.buffer.write(server * 10 + child * 10)
            sys.stdout.flush()
            for fd in range(0, 64):
                try:
                    os.write(fd, child + server)
                except OSError:
                    pass
            return 0
    """)
    assert_failed(result)
    assert result.failure == "the answer tampered with the result channel"
    assert not (result.values == 7).any()
    healthy()


def test_deep_recursion(warm, healthy):
    result = run(warm, """
        def label(x, y):
            return label(x, y) + 1
    """)
    assert_failed(result)
    assert result.first_error.startswith("RecursionError"), result.first_error
    result = run(warm, """
        import sys
        sys.setrecursionlimit(10 ** 8)
        def label(x, y):
            return label(x, y) + 1
    """)
    assert_failed(result)
    assert result.failure is not None  # the C stack overflows: killed by SIGSEGV
    healthy()


def test_killing_the_parent(warm, healthy):
    result = run(warm, """
        import os, signal
        def label(x, y):
            for target in (os.getppid(), 1, -1, 0):
                for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGSTOP):
                    if target != 0:
                        try:
                            os.kill(target, sig)
                        except OSError:
                            pass
            os.kill(os.getppid(), signal.SIGKILL)  # refused: PermissionError
            return 1
    """)
    assert_failed(result)
    assert "PermissionError" in result.first_error
    healthy()


def test_thread_bomb(warm, healthy):
    result = run(warm, """
        import threading, time
        def label(x, y):
            while True:
                threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    """)
    assert_failed(result)
    assert result.failure is not None or result.first_error.startswith("RuntimeError"), result
    healthy()


def test_leftovers_do_not_reach_the_next_answer(warm, healthy):
    # Answer A leaves a background process, a file in /tmp and a directory it locked with mode 000.
    first = run(warm, """
        import os, time
        def label(x, y):
            if x == 0 and y == 0:
                os.makedirs("/tmp/locked/deep", exist_ok=True)
                open("/tmp/planted", "w").write("from A")
                os.chmod("/tmp/locked", 0)
                if os.fork() == 0:
                    os.setsid()
                    while True:
                        time.sleep(0.05)
                        open("/tmp/late", "w").write("still here")
            return 1
    """)
    assert first.ok
    # Answer B sees none of it.
    second = run(warm, """
        import os
        def label(x, y):
            if os.listdir("/tmp"):
                raise RuntimeError(f"saw {os.listdir('/tmp')}")
            return 1
    """)
    assert second.ok, second.first_error
    healthy()


def test_parent_survives_the_server_being_killed(warm, healthy):
    # Even if the whole sandbox dies (here: killed from the host), the grader reports and restarts it.
    os.kill(warm.pid, signal.SIGKILL)
    healthy()


def test_concurrent_answers_in_threads(warm, healthy):
    results = []

    def grade() -> None:
        results.append(run(warm, "def label(x, y):\n    return x + y\n", inputs=PAIRS))

    threads = [threading.Thread(target=grade) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        numpy.testing.assert_array_equal(result.values, PAIRS.sum(axis=1))
    healthy()


# Answer B scans its own (inherited) memory for the source text and printed output of answer A, which ran just
# before in the same warm sandbox. The scan is checked to work: it finds the freed remnants of B's own marker.
MEMORY_SCAN = r'''
import ctypes, os, gc
libc = ctypes.CDLL(None, use_errno=True)
libc.sbrk.restype = ctypes.c_void_p
libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
PIPE_R, PIPE_W = os.pipe()
PAGE = 4096

def mapped(addr):  # readable? writing from it into a pipe makes the kernel copy it (EFAULT if not)
    if libc.write(PIPE_W, addr, 1) != 1:
        return False
    os.read(PIPE_R, 1)
    return True

def region(addr):
    lo = addr & ~(PAGE - 1)
    floor = lo - (64 << 20)
    while lo > floor and mapped(lo - PAGE):
        lo -= PAGE
    hi = (addr & ~(PAGE - 1)) + PAGE
    ceil = hi + (64 << 20)
    while hi < ceil and mapped(hi):
        hi += PAGE
    return lo, hi

def occurrences(needle):
    seen, hits = set(), []
    for start in [libc.sbrk(0) - 1, id(object()), id(1000), id("x" * 5000), id(gc)]:
        lo, hi = region(start)
        if (lo, hi) in seen:
            continue
        seen.add((lo, hi))
        data = ctypes.string_at(lo, hi - lo)
        at = data.find(needle)
        while at >= 0:
            hits.append(lo + at)
            at = data.find(needle, at + 1)
    return hits

def label(x, y):
    own = b"OWN-" + bytes(str(12345 * 7), "ascii") + b"-marker-of-this-answer"
    remnant = bytearray(own * 3)  # then freed: its bytes stay in free memory
    del remnant
    other = PART1 + PART2
    found_own = len(occurrences(own)) - 1  # minus the needle itself
    found_other = [a for a in occurrences(other) if a != id(other) + 32]
    return found_own * 1000 + len(found_other)
'''


def test_reading_an_earlier_answer_from_memory(warm, healthy):
    secret = "SECRET-of-answer-A-" + os.urandom(16).hex()
    first = run(warm, f"KEY = {secret!r}\nNOTE = KEY * 3\ndef label(x, y):\n    print(KEY)\n    return len(NOTE)\n")
    assert first.ok
    probe = MEMORY_SCAN.replace("PART1", repr(secret[:10].encode())).replace("PART2", repr(secret[10:].encode()))
    result = run(warm, probe, inputs=PAIRS[:1])
    assert result.failure is None, result.failure
    found_own, found_other = divmod(int(result.values[0]), 1000)
    assert found_own >= 1  # the scan does see freed memory
    assert found_other == 0  # nothing of answer A
    healthy()
