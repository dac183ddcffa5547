"""Durability: kill the grading worker mid-grade, restart it: every accepted submission is graded exactly once."""

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import select

from server_support import BOTH_DBS, SECRET_ANSWER, WRONG_ANSWER, player

from interpctf.server.models import Submission


def _worker(server, delay: float, stale: float) -> subprocess.Popen:
    env = dict(os.environ, INTERPCTF_DATA_DIR=str(server.settings.data_dir),
               INTERPCTF_DATABASE_URL=server.settings.database_url, INTERPCTF_EXECUTOR="inline",
               INTERPCTF_GRADE_DELAY_SECONDS=str(delay), INTERPCTF_WORKER_STALE_SECONDS=str(stale))
    return subprocess.Popen([sys.executable, "-m", "interpctf.server.grading_queue"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _statuses(server) -> dict[int, tuple[str, int]]:
    with server.state.db.read() as s:
        return {r.id: (r.status, r.grade_count) for r in s.execute(select(Submission.id, Submission.status,
                                                                          Submission.grade_count))}


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@BOTH_DBS
def test_killed_worker_loses_nothing_and_grades_exactly_once(server_factory):
    server = server_factory(run_worker=False)
    c = player(server, "durable")
    ids = [c.post(f"/api/v1/challenges/{slug}/submissions", files={"file": ("a.py", answer)}).json()["id"]
           for slug, answer in (("tiny", WRONG_ANSWER), ("capped", WRONG_ANSWER), ("tiny", SECRET_ANSWER))]
    assert set(_statuses(server)) == set(ids)

    first = _worker(server, delay=60, stale=2)  # claims a submission, then "grades" for a minute
    try:
        _wait(lambda: any(st == "grading" for st, _ in _statuses(server).values()), 60, "a claim")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    statuses = _statuses(server)
    assert all(n == 0 for _, n in statuses.values()) and "graded" not in {st for st, _ in statuses.values()}

    second = _worker(server, delay=0, stale=2)
    try:
        _wait(lambda: all(st == "graded" for st, _ in _statuses(server).values()), 120, "all graded")
        time.sleep(1.5)  # give a duplicate grading, if there were one, time to land
    finally:
        second.terminate()
        second.wait(10)
    statuses = _statuses(server)
    assert set(statuses) == set(ids)  # nothing lost
    assert all(status == "graded" and count == 1 for status, count in statuses.values()), statuses
    assert c.get(f"/api/v1/submissions/{ids[2]}").json()["public_solved"] is True


def test_a_late_result_from_a_presumed_dead_worker_is_discarded(server_factory):
    from interpctf.server.grading_queue import GradingWorker, requeue_stale
    server = server_factory(run_worker=False)
    c = player(server, "late")
    sid = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("a.py", WRONG_ANSWER)}).json()["id"]
    slow = GradingWorker(server.settings, server.state.db)
    slow._heartbeat()
    job = slow._claim()
    assert job is not None and job[0] == sid
    assert requeue_stale(server.state.db, stale_seconds=-1) == 1  # everyone presumed dead: claim returned
    fast = GradingWorker(server.settings, server.state.db)
    fast._heartbeat()
    assert fast._claim()[0] == sid
    assert slow.store(sid, {"grade": {"score": 1.0, "solved": True, "details": {}}}) is False
    assert fast.store(sid, {"grade": {"score": 0.5, "solved": False, "details": {"public_score": 0.4}}}) is True
    assert _statuses(server)[sid] == ("graded", 1)
