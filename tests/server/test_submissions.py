"""Submissions: intake validation, durable queueing, grading, attempt caps and rate limits under concurrency."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from server_support import BOTH_DBS, SECRET_ANSWER, WRONG_ANSWER, admin, player, wait_graded
from helpers_time import set_window

from interpctf.server.models import AttemptCounter, Submission


@BOTH_DBS
def test_secret_rule_solves_and_wrong_rule_does_not(server):
    c = player(server, "alice")
    r = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("wrong.py", WRONG_ANSWER)})
    assert r.status_code == 202 and r.json()["status"] == "queued"
    wrong = wait_graded(c, r.json()["id"])
    assert wrong["status"] == "graded" and wrong["public_solved"] is False and wrong["public_score"] < 1
    assert wrong["score"] is None  # the private split stays hidden while the event runs
    r = c.post("/api/v1/challenges/tiny/submissions/json", json={"filename": "rule.py",
                                                                 "content": SECRET_ANSWER.decode()})
    assert r.status_code == 202
    right = wait_graded(c, r.json()["id"])
    assert right["public_solved"] is True and right["public_score"] == 1.0
    mine = c.get("/api/v1/submissions").json()
    assert [m["id"] for m in mine] == [right["id"], wrong["id"]]
    r = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("again.py", SECRET_ANSWER)})
    assert r.status_code == 409 and "already solved" in r.json()["detail"]
    with server.state.db.read() as s:
        assert s.scalar(select(func.sum(Submission.grade_count))) == 2


def test_bad_answer_is_refused_and_costs_no_attempt(server):
    c = player(server, "bob")
    r = c.post("/api/v1/challenges/capped/submissions", files={"file": ("bad.py", b"def label(x, y:\n")})
    assert r.status_code == 422 and "syntax error" in r.json()["detail"]
    r = c.post("/api/v1/challenges/capped/submissions", files={"file": ("bad.py", b"x = 1\n")})
    assert r.status_code == 422 and "\n" not in r.json()["detail"]
    with server.state.db.read() as s:
        assert s.scalar(select(func.count(Submission.id))) == 0
        assert s.scalar(select(func.count()).select_from(AttemptCounter).where(AttemptCounter.count > 0)) == 0
    assert c.post("/api/v1/challenges/capped/submissions", files={"file": ("ok.py", WRONG_ANSWER)}).status_code == 202


def test_attempt_cap_holds_under_concurrent_requests(server_factory):
    """CTFd's test: 10 concurrent wrong answers on a challenge with cap 1 -> exactly 1 judged, 9 refused."""
    server = server_factory(run_worker=False)
    c = player(server, "carol")
    clients = [c] + [server.new_client() for _ in range(9)]
    for other in clients[1:]:
        other.cookies.update(c.cookies)
        other.headers.update(c.headers)

    def go(client):
        return client.post("/api/v1/challenges/capped/submissions", files={"file": ("w.py", WRONG_ANSWER)}).status_code

    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(go, clients))
    assert sorted(codes) == [202] + [403] * 9
    with server.state.db.read() as s:
        assert s.scalar(select(func.count(Submission.id))) == 1


@BOTH_DBS
def test_attempt_cap_race_on_both_databases(server_factory):
    server = server_factory(run_worker=False)
    c = player(server, "dora")
    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(lambda _: c.post("/api/v1/challenges/capped/submissions",
                                               files={"file": ("w.py", WRONG_ANSWER)}).status_code, range(10)))
    assert sorted(codes) == [202] + [403] * 9


def test_rate_limit_per_account(server_factory, tiny):
    server = server_factory({"challenges": [{"slug": "tiny", "forged": str(tiny)}]},
                            run_worker=False, wrong_per_minute=10)
    c = player(server, "eve")
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: c.post("/api/v1/challenges/tiny/submissions",
                                               files={"file": ("w.py", WRONG_ANSWER)}).status_code, range(14)))
    assert codes.count(202) == 10 and codes.count(429) == 4
    r = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("w.py", WRONG_ANSWER)})
    assert r.status_code == 429 and "per minute" in r.json()["detail"]


def test_window_is_enforced(server):
    c = player(server, "finn")
    set_window(server, 10, 60)
    r = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("w.py", WRONG_ANSWER)})
    assert r.status_code == 403 and "not started" in r.json()["detail"]
    assert c.get("/api/v1/challenges").status_code == 403
    set_window(server, -60, -1)
    r = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("w.py", WRONG_ANSWER)})
    assert r.status_code == 403 and "over" in r.json()["detail"]


def test_bad_requests_get_clear_4xx(server_factory):
    server = server_factory(max_upload_bytes=4096)
    c = player(server, "gus")
    r = c.post("/api/v1/challenges/nope/submissions", files={"file": ("w.py", WRONG_ANSWER)})
    assert r.status_code == 404 and "no challenge" in r.json()["detail"]
    r = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("big.py", b"#" * 100_000)})
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    r = c.post("/api/v1/challenges/tiny/submissions", content=b"not multipart",
               headers={"content-type": "multipart/form-data; boundary=zzz"})
    assert 400 <= r.status_code < 500
    r = c.post("/api/v1/challenges/tiny/submissions/json", content=b"{not json",
               headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = c.post("/api/v1/challenges/tiny/submissions/json", json={"content": "x", "extra": 1})
    assert r.status_code == 422 and "\n" not in r.json()["detail"]
    r = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("answer.json", b'{"format": "trigger"}')})
    assert r.status_code == 422
    r = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("bin.py", bytes(range(256)))})
    assert r.status_code == 422
    assert c.get("/api/v1/submissions/99999").status_code == 404
    assert c.get("/api/v1/nope").status_code == 404
    assert c.put("/api/v1/challenges").status_code == 405
    with server.state.db.read() as s:
        assert s.scalar(select(func.count(Submission.id))) == 0


def test_no_team_no_submission(server):
    from server_support import register
    c = server.new_client()
    register(c, "hal")
    r = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("w.py", WRONG_ANSWER)})
    assert r.status_code == 403 and "team" in r.json()["detail"]


def test_admin_regrade_grades_again(server):
    c = player(server, "ida")
    sid = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("w.py", WRONG_ANSWER)}).json()["id"]
    wait_graded(c, sid)
    a = admin(server)
    assert a.post(f"/api/v1/admin/submissions/{sid}/regrade").status_code == 202
    server.drain()
    rows = {r["id"]: r for r in a.get("/api/v1/admin/submissions").json()}
    assert rows[sid]["grade_count"] == 2 and rows[sid]["status"] == "graded"
    assert c.post(f"/api/v1/admin/submissions/{sid}/regrade").status_code == 403
