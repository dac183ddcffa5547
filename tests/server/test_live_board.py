"""The live board: the refresher recomputes the board off the request path; what a request is served is always a
board the rules computed from scratch, and never one older than ``board_lag_seconds``."""

import time

from conftest import BOTH_DBS, SECRET_ANSWER, WRONG_ANSWER, player, wait_graded

from interpctf.server.models import Event
from interpctf.server.scoreboard import compute_board
from interpctf.server.state import phase


def _from_scratch(server) -> dict:
    with server.state.db.read() as s:
        event = s.get(Event, 1)
        now_phase = phase(event)
        return compute_board(s, event, now_phase, now_phase == "frozen")


def _submit(c, slug: str, answer: bytes) -> dict:
    sid = c.post(f"/api/v1/challenges/{slug}/submissions", files={"file": ("a.py", answer)}).json()["id"]
    return wait_graded(c, sid)


@BOTH_DBS
def test_served_board_after_each_grade_equals_the_from_scratch_board(server_factory):
    # The refresher never wakes by itself here (an hour's poll) and boards never age out (an hour's lag): the
    # board served is exactly the one the last refresh() produced, so the test checks what refresh() installs.
    server = server_factory(board_poll_seconds=3600, board_lag_seconds=3600)
    anon = server.new_client()
    anon.get("/api/v1/scoreboard")
    refresher = server.state.board_refresher
    refresher.stop()
    teams = [player(server, f"p{i}", f"T{i}") for i in range(4)]
    # Solves re-price the dynamic challenge for every earlier solver and move first blood; a hint is a negative
    # award; wrong answers give partial credit on the capped one.
    plan = [(0, "tiny", SECRET_ANSWER), (1, "capped", WRONG_ANSWER), (1, "tiny", SECRET_ANSWER),
            (2, "tiny", WRONG_ANSWER), ("hint", 3), (3, "tiny", SECRET_ANSWER), (2, "tiny", SECRET_ANSWER),
            (0, "capped", SECRET_ANSWER)]
    seen = []
    for step in plan:
        if step[0] == "hint":
            hint = teams[step[1]].get("/api/v1/challenges/tiny").json()["hints"][0]["id"]
            assert teams[step[1]].post(f"/api/v1/hints/{hint}/unlock").status_code == 200
        else:
            _submit(teams[step[0]], step[1], step[2])
        stale = anon.get("/api/v1/scoreboard").json()
        assert refresher.refresh() is True, step  # the version moved: a new board
        assert refresher.refresh() is False  # nothing new: the same board, confirmed fresh
        served = anon.get("/api/v1/scoreboard").json()
        assert served == _from_scratch(server)
        assert served != stale  # the step changed the standings, and the served board shows it
        seen.append(served)
    scores = {r["team"]: r["score"] for r in seen[-1]["standings"]}
    assert scores["T0"] > 0 and scores["T3"] < seen[-1]["challenges"][0]["value"] + 10  # the hint cost counts


def test_a_board_older_than_the_lag_is_not_served(server_factory):
    server = server_factory(board_poll_seconds=3600, board_lag_seconds=5)
    anon = server.new_client()
    a = player(server, "late")
    before = anon.get("/api/v1/scoreboard").json()
    refresher = server.state.board_refresher
    refresher.stop()
    _submit(a, "tiny", SECRET_ANSWER)
    assert anon.get("/api/v1/scoreboard").json() == before  # within the lag: the last complete board
    key, meta, entry, fresh_from = refresher._latest
    refresher._latest = (key, meta, entry, fresh_from - 6)  # as if no refresh had confirmed it for 6 s
    served = anon.get("/api/v1/scoreboard").json()
    assert served == _from_scratch(server) and served != before  # the request computed the board itself


def test_the_refresher_picks_up_grades_by_itself(server_factory):
    server = server_factory(board_poll_seconds=0.05, board_lag_seconds=30)
    anon = server.new_client()
    a = player(server, "self")
    assert anon.get("/api/v1/scoreboard").json()["standings"][0]["score"] == 0
    _submit(a, "tiny", SECRET_ANSWER)
    deadline = time.monotonic() + 30
    while anon.get("/api/v1/scoreboard").json() != _from_scratch(server):
        assert time.monotonic() < deadline, "the refresher never served the new board"
        time.sleep(0.05)
    assert anon.get("/api/v1/scoreboard").json()["standings"][0]["score"] == 510
