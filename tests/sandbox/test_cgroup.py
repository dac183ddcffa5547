"""ResourceGroup on plain processes, in every mode this host offers (the watchdog is offered everywhere)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from interpctf.sandbox.cgroup import ResourceGroup, _Watchdog, isolation_mode

MB = 1 << 20
# Waits for a byte on stdin (so it is in the group before it allocates), then holds ``n`` MB split over
# ``procs`` processes, then prints "done".
HOLDER = """
import os, sys, time
n, procs = int(sys.argv[1]), int(sys.argv[2])
sys.stdin.read(1)
kids = []
for _ in range(procs - 1):
    pid = os.fork()
    if pid == 0:
        hold = b"x" * ((n // procs) << 20)
        time.sleep(1.5)
        os._exit(0)
    kids.append(pid)
hold = b"x" * ((n // procs) << 20)
for pid in kids:
    os.waitpid(pid, 0)
print("done", flush=True)
"""


def make(mode: str, memory: int, pids: int) -> ResourceGroup:
    if mode == "watchdog":
        return _Watchdog(memory, pids, None)
    group = ResourceGroup.create("test", memory, pids)
    assert group.mode == mode
    return group


MODES = sorted({isolation_mode(), "watchdog"})


def hold(group: ResourceGroup, megabytes: int, procs: int) -> subprocess.CompletedProcess:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(megabytes), str(procs)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    group.add(process.pid)
    out, _ = process.communicate(b"go", timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out)


@pytest.mark.parametrize("mode", MODES)
def test_memory_is_budgeted_across_processes(mode):
    group = make(mode, 300 * MB, 32)
    try:
        under = hold(group, 120, 3)
        assert under.stdout == b"done\n" and not group.memory_exceeded()
        group.reset()
        over = hold(group, 600, 3)  # 200 MB each: under the budget alone, over it together
        assert group.memory_exceeded()  # the kernel killed a process of the group, or the watchdog all of it
        if mode == "watchdog":
            assert over.returncode == -9
        group.reset()
        assert not group.memory_exceeded()
        group.kill()
        assert group.members() == []
    finally:
        group.close()


@pytest.mark.skipif(not isolation_mode().startswith("cgroup"), reason="no writable cgroup here")
def test_cgroup_process_budget_and_removal():
    group = ResourceGroup.create("test", 256 * MB, 4)
    dirs = list(group.dirs)
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", "import os, sys, time\nsys.stdin.read(1)\nn = 0\n"
             "for _ in range(10):\n    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
             "    if pid == 0:\n        time.sleep(2)\n        os._exit(0)\n    n += 1\nprint(n, flush=True)"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        group.add(process.pid)
        out, _ = process.communicate(b"go", timeout=30)
        assert int(out) == 3  # 4 tasks in all: the parent and 3 children
    finally:
        group.close()
    assert not any(d.exists() for d in dirs)
