"""The score chart's y axis: distinct, evenly stepped labels that cover every point."""

import re
from datetime import datetime, timedelta

from hypothesis import given, strategies as st

from interpctf.server.chart import axis_ticks, render_chart


@given(st.integers(-10_000, 10_000), st.integers(0, 1_000_000))
def test_ticks_cover_the_range_on_one_step_with_distinct_labels(low, extent):
    top = low + extent
    ticks = axis_ticks(low, top)
    assert 2 <= len(ticks) <= 6
    assert ticks[0] <= low and ticks[-1] >= top
    steps = {b - a for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1 and steps.pop() >= 1
    assert len(set(ticks)) == len(ticks)


def test_the_empty_chart_labels_zero_and_one_once_each():
    start = datetime(2026, 12, 1, 9)
    svg = render_chart({"series": []}, start, start + timedelta(hours=2), start + timedelta(hours=1))
    labels = re.findall(r'text-anchor="end" fill="#6b7280">([^<]+)</text>', svg)
    assert labels == ["0", "1"]
    assert "no points scored yet" in svg


def test_a_chart_with_points_reaches_its_top_score():
    start = datetime(2026, 12, 1, 9)
    board = {"series": [{"team": "a", "points": [["2026-12-01T09:10:00Z", 350]]},
                        {"team": "b", "points": [["2026-12-01T09:20:00Z", 120]]}]}
    svg = render_chart(board, start, start + timedelta(hours=2), start + timedelta(hours=1))
    labels = [int(v) for v in re.findall(r'text-anchor="end" fill="#6b7280">([^<]+)</text>', svg)]
    assert labels[0] == 0 and labels[-1] >= 350 and labels == sorted(labels)
