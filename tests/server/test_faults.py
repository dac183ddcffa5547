"""The fault campaign in small (benchmarks/bench_faults.py runs the full one): answers in flight from concurrent
clients against `interpctf serve` and a separate `interpctf grading-worker`; both killed with SIGKILL once
mid-run and restarted. Every answer the server acknowledged is in the database and graded exactly once, and so is
every answer it stored without the acknowledgement reaching the client."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))

from bench_faults import run_campaign  # noqa: E402


def test_kill_9_of_server_and_worker_loses_nothing_and_grades_exactly_once(tmp_path):
    counts = run_campaign(tmp_path, total=120, clients=4, kills=1, workers=1, pg=None, export=False,
                          log=lambda *_: None)
    assert counts["kills"] == 1
    assert counts["drained"], counts
    assert counts["lost"] == 0, counts
    assert counts["graded_once"] == counts["accepted_unique"] == counts["accepted"] >= 120, counts
    assert counts["unacknowledged_graded_once"] == counts["unacknowledged_stored"], counts
    assert counts["ok"], counts
