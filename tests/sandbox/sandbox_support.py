"""Plain helpers for the sandbox tests (importable by name, unlike conftest): tight limits, a good answer and its
values, and the sandbox user's processes."""

from __future__ import annotations

import os

import numpy

from interpctf.sandbox import Limits

# Tight enough that the attacks that must be stopped by a limit take a few seconds, not thirty.
TEST_LIMITS = Limits(cpu_seconds=2, wall_seconds=3, memory_bytes=512 << 20, processes=16,
                     output_bytes=64 << 10, file_bytes=1 << 20)
PAIRS = numpy.array([(x, y) for x in range(0, 113, 7) for y in range(0, 113, 5)], dtype=numpy.int64)
GOOD_SOURCE = "def label(x, y):\n    return int((x * y) % 7 < 3)\n"
GOOD_VALUES = ((PAIRS[:, 0] * PAIRS[:, 1]) % 7 < 3).astype(numpy.int64)


def sandbox_processes(uid: int) -> list[int]:
    """Host pids of processes running as ``uid`` (the sandbox's uid when the tests run as root)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            pids.append(int(entry))
                        break
        except OSError:
            continue
    return pids
