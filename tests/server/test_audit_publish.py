"""The audit before publishing, through the server: an admin's new hint waits unpublished for its audit, the admin
sees the verdict and publishes (a flagged one only "anyway", which is recorded); a challenge's audit lands on its
page; a league proposal's recorded check gives its row in ``interpctf audit``. The solvers' own behaviour on a
real hint is the slow digits test (test_audit_digits.py); here a flagged verdict is injected where it is needed."""

import time

import pytest

from server_support import admin, player
from interpctf.audit import HintAudit
from interpctf.schema import CalibrationRun
from interpctf.server import audit_jobs
from interpctf.server.audit_event import proposal_verdict


def _wait(client, hint_id: int, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        row = next(h for h in client.get("/api/v1/admin/hints").json() if h["id"] == hint_id)
        if row["audit"]["status"] in ("done", "failed"):
            return row
        time.sleep(0.1)
    raise AssertionError(f"hint {hint_id} not audited in {timeout}s")


def _hint_ids(client, slug: str = "tiny") -> list[int]:
    return [h["id"] for h in client.get(f"/api/v1/challenges/{slug}").json()["hints"]]


def test_a_hint_without_data_passes_and_is_hidden_until_published(server):
    boss, alice = admin(server), player(server, "alice")
    before = _hint_ids(alice)
    r = boss.post("/api/v1/admin/hints", json={"challenge": "tiny", "content": "think about x", "cost": 5})
    assert r.status_code == 202 and r.json()["published"] is False
    hint_id = r.json()["id"]
    assert _hint_ids(alice) == before  # not published: participants cannot see it...
    assert alice.post(f"/api/v1/hints/{hint_id}/unlock").status_code == 404  # ...nor unlock it
    row = _wait(boss, hint_id)
    assert row["audit"] == {"status": "done", "flagged": False, "solved_by": [], "published_anyway": False,
                            "line": "passes: the hint holds no data (no numeric arrays) a solver could use"}
    r = boss.post(f"/api/v1/admin/hints/{hint_id}/publish")
    assert r.status_code == 200 and r.json()["published"] is True
    assert _hint_ids(alice) == before + [hint_id]


def test_a_flagged_hint_is_published_only_anyway_and_the_page_says_so(server, monkeypatch):
    def flagged(challenge, text, seconds=120.0, bare=False):
        return HintAudit(arrays=[[8, 8]], solved_by=["labelfn/rulesearch"],
                         runs={"labelfn/rulesearch": CalibrationRun(access="black-box", score=1.0, solved=True)})

    monkeypatch.setattr(audit_jobs, "audit_hint", flagged)
    boss, alice = admin(server), player(server, "alice")
    hint_id = boss.post("/api/v1/admin/hints", json={"challenge": "tiny", "content": "this: [[1, 2]]"}).json()["id"]
    row = _wait(boss, hint_id)
    assert row["audit"]["flagged"] and row["audit"]["solved_by"] == ["labelfn/rulesearch"]
    assert "FLAGGED" in row["audit"]["line"]
    r = boss.post(f"/api/v1/admin/hints/{hint_id}/publish")
    assert r.status_code == 409 and "flagged by the audit" in r.json()["detail"] and "\n" not in r.json()["detail"]
    assert hint_id not in _hint_ids(alice)
    page = boss.get("/admin/hints").text
    assert "Publish anyway" in page and "labelfn/rulesearch solves it from the outside" in page
    r = boss.post(f"/api/v1/admin/hints/{hint_id}/publish", params={"anyway": "true"})
    assert r.status_code == 200 and r.json()["audit"]["published_anyway"]
    assert hint_id in _hint_ids(alice)
    assert "published anyway" in alice.get("/challenges/tiny").text


@pytest.mark.parametrize("body, status, field", [
    ({"challenge": "nope", "content": "x"}, 404, "challenge"),
    ({"challenge": "tiny", "content": "   "}, 422, "content"),
    ({"challenge": "tiny", "content": "x", "cost": -1}, 422, "cost"),
])
def test_a_bad_hint_is_refused_in_one_line_and_nothing_is_stored(server, body, status, field):
    boss = admin(server)
    before = boss.get("/api/v1/admin/hints").json()
    r = boss.post("/api/v1/admin/hints", json=body)
    assert r.status_code == status and field in r.text
    assert boss.get("/api/v1/admin/hints").json() == before


def test_hint_routes_are_for_admins_only(server):
    alice = player(server, "alice")
    assert alice.get("/api/v1/admin/hints").status_code == 403
    assert alice.post("/api/v1/admin/hints", json={"challenge": "tiny", "content": "x"}).status_code == 403


def test_a_challenge_audit_reads_the_calibration_and_shows_on_its_page(server):
    boss, alice = admin(server), player(server, "alice")
    chal_id = next(c["c"].id for c in _challenge_rows(server) if c["c"].slug == "tiny")
    assert boss.post(f"/api/v1/admin/challenges/{chal_id}/audit").status_code == 202
    deadline = time.time() + 60
    while (body := boss.get(f"/api/v1/admin/challenges/{chal_id}/audit").json())["audit"]["status"] == "running":
        assert time.time() < deadline
        time.sleep(0.05)
    audit = body["audit"]
    assert audit["status"] == "done", audit
    calibrated = body["full"]["calibration"]["calibrated"]
    assert ("not calibrated" in audit["line"]) is not calibrated
    assert body["full"]["statement"]["arrays"] == []  # the tiny statement holds no data
    assert "Streetlight audit" in alice.get("/challenges/tiny").text
    assert "Audit again" in boss.get("/admin/challenges").text


def _challenge_rows(server):
    from interpctf.server.admin import challenge_rows
    with server.state.db.read() as s:
        return challenge_rows(s)


def test_a_proposal_row_comes_from_its_sandboxed_check():
    clean = {"variants": [{"baselines": {"constant": {"score": 0.5, "solved": False}},
                           "audit": {"labelfn/rulesearch": {"score": 0.8, "solved": False}}}]}
    assert proposal_verdict(clean) == (False, "passes (sandboxed check)")
    solved = {"variants": [{"baselines": {}, "audit": {"labelfn/rulesearch": {"score": 1.0, "solved": True}}}]}
    assert proposal_verdict(solved) == (True, "FLAGGED: labelfn/rulesearch solves it from the outside")
    assert proposal_verdict({}) == (False, "not checked yet")
    assert proposal_verdict({"variants": [{"baselines": {}}]})[1].endswith("no audit solver for this kind")


def test_a_challenges_verdict_names_what_solves_it_bare_and_with_its_statement():
    from interpctf.server.audit_jobs import challenge_verdict

    clean = {"arrays": [], "solved_by": [], "runs": {}, "flagged": False}
    assert challenge_verdict({"calibrated": True, "solved_by": []}, clean) == \
        (False, "passes: no black-box solver solves it bare")
    assert challenge_verdict({"calibrated": False, "solved_by": []}, clean)[0] is False
    data = {"arrays": [[8, 8]], "solved_by": ["labelfn/rulesearch"], "runs": {"labelfn/rulesearch": {}},
            "flagged": True}
    assert challenge_verdict({"calibrated": True, "solved_by": []}, data) == \
        (True, "FLAGGED: no black-box solver solves it bare; with the statement's data, labelfn/rulesearch solves it")
