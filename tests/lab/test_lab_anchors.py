"""Each task's score anchors make a scale: the reference config scores above the baseline config.

The anchors are figures measured where each task was written; a fresh calibration on another processor lands near
them, not on them, so no test asserts the figures. ``benchmarks/bench_lab_anchors.py`` measures them again and
prints how far they land."""

import pytest

from interpctf.lab.tasks import task_classes


@pytest.mark.parametrize("name", sorted(task_classes()))
def test_anchors_make_a_scale(name):
    low, high = task_classes()[name].anchors
    assert high > low
