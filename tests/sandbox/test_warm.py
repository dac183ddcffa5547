"""The warm sandbox's own robustness: the host's backstop clock, restarts, what is writable, size caps."""

from __future__ import annotations

import dataclasses
import os
import signal
import textwrap

import numpy

from interpctf.sandbox import Limits, WarmSandbox
from interpctf.sandbox.warm import MAX_SOURCE_BYTES

from sandbox_support import GOOD_SOURCE, GOOD_VALUES, PAIRS, TEST_LIMITS, sandbox_processes


def test_host_kills_a_hung_server_and_restarts_it(sandbox_ok):
    # If the server inside stopped answering, the host's own clock (wall + grace) kills the whole sandbox.
    with WarmSandbox(Limits(cpu_seconds=1, wall_seconds=1)) as sandbox:
        old_uid = sandbox.uid
        (server,) = sandbox_processes(old_uid)
        os.kill(server, signal.SIGSTOP)
        result = sandbox.map(GOOD_SOURCE, "label", PAIRS, unpack=True)
        assert result.failure == "time limit exceeded (1 s wall)"
        assert sandbox_processes(old_uid) == []  # the stopped sandbox is gone
        again = sandbox.map(GOOD_SOURCE, "label", PAIRS, unpack=True)
        numpy.testing.assert_array_equal(again.values, GOOD_VALUES)


def test_only_tmp_is_writable(warm):
    source = textwrap.dedent("""
        import os
        def label(x, y):
            writable = []
            for root, dirs, files in os.walk("/"):
                for path in [root] + [os.path.join(root, f) for f in files]:
                    if not os.path.islink(path) and not path.startswith("/dev/") and os.access(path, os.W_OK):
                        writable.append(path)
            if writable != ["/tmp"]:
                raise RuntimeError(repr(writable))
            return 1
    """)
    # Walking the whole tree (~70,000 files) takes about a second; a loaded machine must not turn it into a timeout.
    patient = dataclasses.replace(TEST_LIMITS, cpu_seconds=30, wall_seconds=60)
    result = warm.map(source, "label", PAIRS[:1], unpack=True, limits=patient)
    assert result.ok, result.failure or result.first_error


def test_sandbox_runs_as_an_unprivileged_uid_without_capabilities(warm):
    source = textwrap.dedent("""
        import ctypes, os
        def label(x, y):
            header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
            data = (ctypes.c_uint32 * 6)()
            assert ctypes.CDLL(None).capget(header, data) == 0
            effective_or_permitted = data[0] | data[1] | data[3] | data[4]
            return os.getuid() if effective_or_permitted == 0 and os.getgroups() == [] else -1
    """)
    result = warm.map(source, "label", PAIRS[:1], unpack=True)
    assert result.ok and int(result.values[0]) > 0
    if os.geteuid() == 0:
        assert int(result.values[0]) == warm.uid


def test_oversized_answer_is_a_failed_answer(warm):
    result = warm.map("#" * (MAX_SOURCE_BYTES + 1), "label", PAIRS, unpack=True)
    assert result.failure.startswith("the answer is too large")


def test_close_is_idempotent_and_start_is_lazy(sandbox_ok):
    sandbox = WarmSandbox(TEST_LIMITS)
    assert sandbox.pid is None
    assert sandbox.map(GOOD_SOURCE, "label", PAIRS, unpack=True).ok
    uid = sandbox.uid
    sandbox.close()
    sandbox.close()
    if os.geteuid() == 0:
        assert sandbox_processes(uid) == []


def test_sandbox_dies_with_the_grader(sandbox_ok, tmp_path):
    # A grader killed outright (SIGKILL, no cleanup) must not leave its sandbox or the answer running.
    import subprocess
    import sys
    import time

    script = tmp_path / "grader.py"
    script.write_text(textwrap.dedent("""
        import sys
        from interpctf.sandbox import Limits, WarmSandbox
        sandbox = WarmSandbox(Limits(cpu_seconds=60, wall_seconds=60))
        sandbox.start()
        print(sandbox.uid, flush=True)
        sandbox.map("def label(x, y):\\n    while True: pass\\n", "label", [[1, 2]], unpack=True)
    """))
    grader = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    uid = int(grader.stdout.readline())
    if os.geteuid() == 0:  # wait until the answer is spinning: the server and the answer
        deadline = time.monotonic() + 20
        while len(sandbox_processes(uid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(sandbox_processes(uid)) == 2
    else:
        time.sleep(1)
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 10
    while os.geteuid() == 0 and sandbox_processes(uid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if os.geteuid() == 0:
        assert sandbox_processes(uid) == []
