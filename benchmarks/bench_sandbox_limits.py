"""What the whole-answer limits cost per answer: the resource group (cgroup or watchdog) and the fresh /tmp mount.

Run: nice .venv/bin/python benchmarks/bench_sandbox_limits.py [--rounds 200]

One warm sandbox, four variants taken in turn within every round (so load on the machine hits them alike):
bare (no group, no new /tmp: the sandbox as it was), group only, /tmp only, and both (what grading uses). A short
answer (8 calls) makes the fixed per-answer cost visible. The watchdog is measured the same way in a second
sandbox. Last, a full grade (12,769 calls, bench_sandbox.py's rule) in the warm sandbox against the same grade
in-process. Prints figures only; the baselines are measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from bench_sandbox import PAIRS, RULE, in_process
from interpctf.sandbox import Limits, WarmSandbox
from interpctf.sandbox.cgroup import ResourceGroup, _Watchdog

SHORT = "def label(x, y):\n    return int((x * y) % 7 < 3)\n"
FEW = PAIRS[:8]


class _NoGroup(ResourceGroup):
    """No budget at all: the baseline's stand-in for the resource group."""

    mode = "none"

    def add(self, pid: int) -> None:
        pass

    def reset(self) -> None:
        pass

    def memory_exceeded(self) -> bool:
        return False

    def members(self) -> list[int]:
        return []


class _NoRefresh:
    def refresh(self) -> None:
        pass

    def ready(self) -> None:
        pass

    def close(self) -> None:
        pass


def variants(sandbox: WarmSandbox) -> dict[str, tuple]:
    sandbox.start()
    real_group, real_tmp = sandbox._group, sandbox._tmp
    bare = _NoGroup(sandbox.limits.memory_bytes, sandbox.limits.processes)
    return {"bare": (bare, _NoRefresh()), "group": (real_group, _NoRefresh()), "tmp": (bare, real_tmp),
            "both": (real_group, real_tmp)}


def measure(sandbox: WarmSandbox, rounds: int) -> dict[str, float]:
    """Median seconds per short answer for each variant, the variants interleaved round by round."""
    setups = variants(sandbox)
    times: dict[str, list[float]] = {name: [] for name in setups}
    for _ in range(rounds):
        for name, (group, tmp) in setups.items():
            sandbox._group, sandbox._tmp = group, tmp
            start = time.perf_counter()
            result = sandbox.map(SHORT, "label", FEW, unpack=True)
            tmp.ready()  # the whole remount counted here, though grading overlaps it with its own work
            times[name].append(time.perf_counter() - start)
            assert result.ok, result
    sandbox._group, sandbox._tmp = setups["both"]  # closed with the sandbox
    return {name: statistics.median(t) for name, t in times.items()}


def report(title: str, medians: dict[str, float]) -> None:
    base = medians["bare"]
    print(f"{title}: bare {base * 1000:.2f} ms per short answer; overhead per answer: "
          f"group {(medians['group'] - base) * 1000:+.2f} ms, fresh /tmp {(medians['tmp'] - base) * 1000:+.2f} ms, "
          f"both {(medians['both'] - base) * 1000:+.2f} ms ({medians['both'] / base:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200, help="answers per variant")
    parser.add_argument("--grades", type=int, default=30, help="full grades for the in-process ratio")
    args = parser.parse_args()
    limits = Limits()

    with WarmSandbox(limits) as sandbox:
        sandbox.map(SHORT, "label", FEW, unpack=True)
        report(f"{sandbox._group.mode}", measure(sandbox, args.rounds))

        # In-process and sandboxed grades alternate, so that load from elsewhere hits both alike.
        base, warm, expected = [], [], in_process(1)[1]
        for _ in range(args.grades):
            base.append(in_process(1)[0])
            start = time.perf_counter()
            result = sandbox.map(RULE, "label", PAIRS, unpack=True)
            warm.append(time.perf_counter() - start)
            assert result.ok and np.array_equal(result.values, expected)
        base_p50, warm_p50 = statistics.median(base), statistics.median(warm)
        print(f"full grade ({len(PAIRS):,} calls), medians of {args.grades} alternating: in-process "
              f"{base_p50 * 1000:.1f} ms, warm sandbox with limits {warm_p50 * 1000:.1f} ms: "
              f"{warm_p50 / base_p50:.2f}x in-process")

    original = ResourceGroup.create
    ResourceGroup.create = classmethod(lambda cls, name, memory, pids, *, reaper=None: _Watchdog(memory, pids, reaper))
    try:
        with WarmSandbox(limits) as sandbox:
            sandbox.map(SHORT, "label", FEW, unpack=True)
            report("watchdog", measure(sandbox, args.rounds))
    finally:
        ResourceGroup.create = original


if __name__ == "__main__":
    main()
