"""Measure a task's score anchors: the validation value of its score metric for the baseline and reference configs.

The values are written into the task class (``anchors``) by hand after running ``interpctf lab calibrate TASK``;
a slow test checks that the written anchors still match what the configs give.
"""

from __future__ import annotations

from interpctf.lab.runner import run
from interpctf.lab.tasks import get_task


def measure_anchors(task_name: str, threads: int | None = None) -> dict[str, dict[str, float]]:
    task = get_task(task_name)
    out = {}
    for which, cfg in (("baseline", task.baseline_config), ("reference", task.reference_config)):
        result = run(task_name, cfg, record=False, threads=threads)
        out[which] = result.metrics
    return out
