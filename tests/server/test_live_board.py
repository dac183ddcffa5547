"""The live board: the refresher keeps a table of attempts up to date per grade and recomputes the standings from
it (:mod:`interpctf.server.live_board`); what a request is served always equals the board the pure rules compute
from scratch, and is never older than ``board_lag_seconds``."""

import random
import time
from datetime import datetime, timedelta

from server_support import BOTH_DBS, SECRET_ANSWER, WRONG_ANSWER, admin, player, wait_graded
from helpers_time import set_window
from hypothesis import given, settings, strategies as st
from sqlalchemy import update

from interpctf.executor import InlineExecutor
from interpctf.rules import Attempt, AwardItem, EventRules, ValueRule, compute_standings, score_series
from interpctf.rules.standings import solve_times, visible_attempts
from interpctf.server.grade_job import grade_job
from interpctf.server.grading_queue import GradingWorker
from interpctf.server.live_board import LiveStandings
from interpctf.server.models import Event, Submission, Team
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
    assert refresher.table.reloads == 1  # every step above was applied grade by grade, never reloaded
    scores = {r["team"]: r["score"] for r in seen[-1]["standings"]}
    assert scores["T0"] > 0 and scores["T3"] < seen[-1]["challenges"][0]["value"] + 10  # the hint cost counts


def _grade_queued(server) -> None:
    """Grade every queued answer now (the server runs no worker of its own in this test)."""
    worker = GradingWorker(server.settings, server.state.db, executor=InlineExecutor()).start()
    try:
        assert worker.drain(60), "grading did not finish"
    finally:
        worker.stop()


def _send(client, slug: str, answer: bytes) -> int:
    r = client.post(f"/api/v1/challenges/{slug}/submissions", files={"file": ("a.py", answer)})
    assert r.status_code == 202, r.text
    return r.json()["id"]


@BOTH_DBS
def test_a_whole_event_mid_stream_equals_the_from_scratch_board_at_every_step(server_factory):
    """Grades, re-pricing, first blood taken by a hidden team, partial credit, a hint, awards, a re-grade (the
    solve leaves the board while queued, comes back when graded), grades landing out of order, a freeze (an
    answer sent before it and graded after it counts; one sent after it is hidden), and the end (private split):
    after each step the refresher's board equals the from-scratch board; grades, hints and awards are applied
    one by one, and only a re-grade or a phase change reloads the table."""
    server = server_factory(board_poll_seconds=3600, board_lag_seconds=3600, run_worker=False)
    anon, boss = server.new_client(), admin(server)
    anon.get("/api/v1/scoreboard")
    refresher = server.state.board_refresher
    refresher.stop()
    hidden = player(server, "ghost", "Ghost")
    with server.state.db.write() as s:
        s.execute(update(Team).where(Team.name == "Ghost").values(hidden=True))
    p = [player(server, f"m{i}", f"M{i}") for i in range(5)]
    with server.state.db.read() as s:
        ids = {t.name: t.id for t in s.query(Team)}
    reloads = [refresher.table.reloads]
    boards = []

    def check(step: str, reload: bool = False, changed: bool = True) -> dict:
        assert refresher.refresh() is changed, step
        served = anon.get("/api/v1/scoreboard").json()
        assert served == _from_scratch(server), step
        reloads.append(refresher.table.reloads)
        assert reloads[-1] - reloads[-2] == int(reload), step
        boards.append(served)
        return served

    def graded(client, slug, answer) -> int:
        sid = _send(client, slug, answer)
        _grade_queued(server)
        return sid

    graded(hidden, "tiny", SECRET_ANSWER)  # first blood on tiny goes to a hidden team: nobody gets it
    board = check("hidden team solves")
    assert [r["team"] for r in board["standings"]] == ["M0", "M1", "M2", "M3", "M4"]
    assert board["challenges"][0]["solves"] == 1  # ... but its solve counts for the value
    first = graded(p[0], "tiny", SECRET_ANSWER)
    assert check("M0 solves")["standings"][0]["score"] == 450
    graded(p[1], "capped", WRONG_ANSWER)
    check("partial credit on capped")
    hint = p[2].get("/api/v1/challenges/tiny").json()["hints"][0]["id"]
    assert p[2].post(f"/api/v1/hints/{hint}/unlock").status_code == 200
    check("a hint bought")
    assert boss.post("/api/v1/admin/awards", json={"team_id": ids["M3"], "value": 40, "reason": "x"}).status_code == 201
    check("an award")
    # Three answers graded in one batch, the later-sent ones first: solve order is by sending time.
    late = [_send(p[i], "tiny", SECRET_ANSWER) for i in (2, 3, 4)]
    with server.state.db.write() as s:
        for sid in late:
            s.execute(update(Submission).where(Submission.id == sid).values(status="grading", claimed_by="t"))
    worker = GradingWorker(server.settings, server.state.db, executor=InlineExecutor())
    worker.id = "t"
    for sid in reversed(late):
        with server.state.db.read() as s:
            sub = s.get(Submission, sid)
        result = grade_job(*_variant_paths(server, sub), sub.filename, sub.data)
        assert worker.store(sid, result)
        check(f"out-of-order grade {sid}")  # each re-prices tiny for every solver
    # A re-grade: the solve is gone while queued (the table reloads), back once graded (a grade like any).
    assert boss.post(f"/api/v1/admin/submissions/{first}/regrade").status_code == 202
    board = check("re-grade queued", reload=True)
    assert "M0" not in [r["team"] for r in board["standings"] if r["score"] > 0]
    _grade_queued(server)
    assert check("re-graded") == boards[-3]
    # A freeze: M1's answer sent before it and graded after it counts; M0's sent after it stays hidden.
    before = _send(p[1], "tiny", SECRET_ANSWER)
    set_window(server, -60, 60, freeze_min=0)
    time.sleep(0.01)
    check("frozen", reload=True)
    _send(p[0], "capped", SECRET_ANSWER)
    _grade_queued(server)
    board = check("grades after the freeze")
    assert {r["team"]: r["solves"] for r in board["standings"]}["M1"] == 1  # sent before the freeze: counts
    assert board["challenges"][1]["solves"] == 0  # M0's solve of capped is after the freeze
    with server.state.db.read() as s:
        assert s.get(Submission, before).status == "graded"
    # The end: the private split, everything shown.
    set_window(server, -120, -1, freeze_min=-60)
    board = check("ended", reload=True)
    assert board["split"] == "private" and board["challenges"][1]["solves"] == 1


def _variant_paths(server, sub) -> tuple[str, str]:
    from interpctf.server.models import Variant
    with server.state.db.read() as s:
        v = s.query(Variant).filter_by(challenge_id=sub.challenge_id, number=sub.variant).one()
    data = server.state.data_dir
    return str(data / v.bundle_path), str(data / v.key_path)


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
    assert served == _from_scratch(server) and served != before  # the request brought the board up to date


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


# ---- the table against the pure rules, on random events -------------------------------------------------------
T0 = datetime(2026, 1, 1)
RULES = st.sampled_from([ValueRule(initial=100), ValueRule(function="linear", initial=500, minimum=0, decay=150),
                         ValueRule(function="parabolic", initial=300, minimum=10, decay=3)])
ATTEMPT = st.tuples(st.integers(1, 6), st.integers(1, 4), st.sampled_from([0.0, 0.004, 0.25, 0.5, 0.75, 1.0]),
                    st.booleans(), st.integers(0, 40))


@settings(max_examples=300, deadline=None)
@given(attempts=st.lists(ATTEMPT, max_size=40), awards=st.lists(st.tuples(st.integers(1, 6), st.integers(-30, 30),
                                                                          st.integers(0, 40)), max_size=5),
       values=st.dictionaries(st.integers(1, 4), RULES, min_size=1), partial=st.booleans(),
       first_blood=st.sampled_from([[], [10], [30, 20, 10], [0, 5]]), shown=st.sets(st.integers(1, 6)),
       freeze=st.one_of(st.none(), st.integers(0, 40)), seed=st.integers(0, 2**16))
def test_the_table_gives_the_standings_and_series_of_the_rules(attempts, awards, values, partial, first_blood, shown,
                                                                freeze, seed):
    """Solved-or-not attempts on static, linear (down to 0 points) and parabolic values; teams hidden (not
    shown) or without attempts; challenges hidden (no value rule); ties in time; awards; a freeze; rows taken
    in any order (grades land out of order): the table's standings and series are the rules' exactly."""
    rows = [(i, 1, "graded", team, chal, score if not solved else 1.0, solved, T0 + timedelta(minutes=m))
            for i, (team, chal, score, solved, m) in enumerate(attempts, start=1)]
    random.Random(seed).shuffle(rows)
    cut = None if freeze is None else T0 + timedelta(minutes=freeze, seconds=30)
    table = LiveStandings()
    table.reset((False, cut))
    for row in rows:
        table.take(row)
    every = visible_attempts([Attempt(r[3], r[4], r[5], r[6], r[7]) for r in sorted(rows)], cut)
    items = [AwardItem(team, value, T0 + timedelta(minutes=m)) for team, value, m in awards]
    rules = EventRules(partial_credit=partial, first_blood=first_blood)
    teams = sorted(shown)
    got, current = table.standings(teams, values, items, rules)
    want = compute_standings(teams, values, every, items, rules)
    assert [(s.team, s.score, s.reached_at, s.pos, s.solves) for s in got] == \
        [(s.team, s.score, s.reached_at, s.pos, s.solves) for s in want]
    solves = solve_times(every)
    assert table.solvers == solves
    top = [s.team for s in want[:3] if s.score > 0]
    assert table.series(top, values, items, rules) == score_series(top, values, every, items, rules)
