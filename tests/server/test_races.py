"""Check-then-act steps that must hold under concurrent requests, on SQLite and on PostgreSQL: team joins
against the team size, one user entering one team, and the per-challenge attempt cap (judged answers)."""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from server_support import BOTH_DBS, WRONG_ANSWER, player, register

from interpctf.server.models import Submission, User


def _all_at_once(calls):
    """Run every call in its own thread, released together."""
    barrier = threading.Barrier(len(calls))

    def go(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(go, calls))


@BOTH_DBS
def test_twenty_concurrent_joins_fill_a_team_of_four_exactly(server_factory):
    server = server_factory({"team_size": 4}, auth_per_minute=100)
    owner = player(server, "olga", "full-house")
    code = owner.get("/api/v1/teams/me").json()["invite_code"]
    joiners = []
    for i in range(20):
        c = server.new_client()
        register(c, f"joiner-{i:02d}")
        joiners.append(c)
    codes = _all_at_once([lambda c=c: c.post("/api/v1/teams/join", json={"invite_code": code}).status_code
                          for c in joiners])
    assert sorted(codes) == [200] * 3 + [403] * 17
    team_id = owner.get("/api/v1/me").json()["team_id"]
    with server.state.db.read() as s:
        assert s.scalar(select(func.count(User.id)).where(User.team_id == team_id)) == 4
    assert len(owner.get("/api/v1/teams/me").json()["members"]) == 4


@BOTH_DBS
def test_one_user_entering_two_teams_at_once_ends_in_one(server_factory):
    server = server_factory({"team_size": 4}, auth_per_minute=100)
    codes = [player(server, f"cap-{t}", f"team-{t}").get("/api/v1/teams/me").json()["invite_code"] for t in "ab"]
    c = server.new_client()
    register(c, "split")
    twin = server.new_client()
    twin.cookies.update(c.cookies)
    twin.headers.update(c.headers)
    statuses = _all_at_once([lambda: c.post("/api/v1/teams/join", json={"invite_code": codes[0]}).status_code,
                             lambda: twin.post("/api/v1/teams/join", json={"invite_code": codes[1]}).status_code,
                             lambda: twin.post("/api/v1/teams", json={"name": "third"}).status_code])
    assert sorted(statuses).count(409) == 2 and len([s for s in statuses if s in (200, 201)]) == 1
    with server.state.db.read() as s:
        members = {name: team for name, team in s.execute(select(User.name, User.team_id))}
        teams_with_split = s.scalar(select(func.count(func.distinct(User.team_id))).where(User.name == "split"))
    assert members["split"] is not None and teams_with_split == 1


@BOTH_DBS
def test_ten_concurrent_wrong_answers_under_cap_one_judge_exactly_one(server_factory):
    """CTFd's test, to the grade: one answer judged, nine refused."""
    server = server_factory()
    c = player(server, "tess")
    codes = _all_at_once([lambda: c.post("/api/v1/challenges/capped/submissions",
                                         files={"file": ("w.py", WRONG_ANSWER)}).status_code] * 10)
    assert sorted(codes) == [202] + [403] * 9
    server.drain()
    with server.state.db.read() as s:
        rows = s.execute(select(Submission.status, Submission.grade_count)).all()
    assert [(status, count) for status, count in rows] == [("graded", 1)]
