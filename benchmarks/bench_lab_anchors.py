"""The lab's score anchors, measured again on this machine: each task's baseline and reference configs, trained
fresh, against the anchors written in the task class (measured where the task was written).

The anchors set a task's score scale (baseline 0, reference 1). A fresh measurement on another processor lands
near them, not on them (float kernels differ), so no test asserts them; this script prints how far each one lands,
on the written scale itself: the measured reference should score about 1 and the measured baseline about 0.

Run: nice .venv/bin/python benchmarks/bench_lab_anchors.py [TASK ...]   (no task: all; sae-lm trains the world
model first if it is not cached)
"""

import sys
import time

from interpctf.lab.anchors import measure_anchors
from interpctf.lab.tasks import task_classes


def main() -> None:
    TASKS = task_classes()
    names = sys.argv[1:] or sorted(TASKS)
    unknown = [n for n in names if n not in TASKS]
    if unknown:
        sys.exit(f"error: unknown lab task {unknown[0]!r}; choose from {', '.join(sorted(TASKS))}")
    for name in names:
        task = TASKS[name]
        low, high = task.anchors
        start = time.perf_counter()
        measured = measure_anchors(name)
        seconds = time.perf_counter() - start
        base, ref = (measured[w][task.score_metric] for w in ("baseline", "reference"))
        on_scale = [(v - low) / (high - low) for v in (base, ref)]
        print(f"{name} ({task.score_metric}, {seconds:.0f} s): written anchors {low:.4f} / {high:.4f}; measured "
              f"baseline {base:.4f} (off by {base - low:+.4f}), reference {ref:.4f} (off by {ref - high:+.4f}); "
              f"on the written scale: baseline {on_scale[0]:+.3f}, reference {on_scale[1]:.3f}", flush=True)


if __name__ == "__main__":
    main()
