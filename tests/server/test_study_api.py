"""The study over HTTP: settings, team submissions (bad PNGs refused with one line), opening, raters' queues
and answers (unassigned, twice, after close: 4xx), results, CSV, reveal, the admin's code view; and many threads
answering the same questions at once, nothing lost or double-counted."""

import threading

from sqlalchemy import select

from server_support import admin, login, player
from study_helpers import RATERS, SETTINGS, study_spec, upload

from interpctf.server import study
from interpctf.server.models import User
from interpctf.server.study_store import answer_count


def _rater(server, name):
    client = server.new_client()
    login(client, name, "rater-password")
    return client


def _open_study(server_factory, raters=RATERS):
    server = server_factory(study_spec(raters))
    boss = admin(server)
    assert boss.put("/api/v1/admin/study/settings", json=SETTINGS).status_code == 200
    teams = [player(server, "alice"), player(server, "bob")]
    assert upload(teams[0], {"m00": 2, "m01": 1}).status_code == 201
    assert upload(teams[1], {"m00": 1, "m02": 1}).status_code == 201
    r = boss.post("/api/v1/admin/study/open")
    assert r.status_code == 200, r.text
    return server, boss, teams


def test_bad_visualizations_and_settings_are_refused_with_one_line(server_factory):
    server = server_factory(study_spec())
    boss = admin(server)
    alice = player(server, "alice")
    assert upload(alice, {"m00": 1}).status_code == 404  # no study yet
    assert boss.put("/api/v1/admin/study/settings", json={**SETTINGS, "challenge": "nope"}).status_code == 404
    r = boss.put("/api/v1/admin/study/settings", json={**SETTINGS, "target": 2})
    assert r.status_code == 422 and "target" in r.json()["detail"]
    assert boss.put("/api/v1/admin/study/settings", json=SETTINGS).status_code == 200
    gif = alice.post("/api/v1/study/visualizations", data={"trojan": ["m00"]},
                     files=[("images", ("a.png", b"GIF89a" + b"\0" * 20, "image/png"))])
    assert gif.status_code == 422 and "not a PNG" in gif.json()["detail"] and "\n" not in gif.json()["detail"]
    assert upload(alice, {"m07": 1}).status_code == 422
    assert upload(alice, {"m00": 9}).status_code == 422
    form = alice.post("/study/visualizations", data={"code": "x"},
                      files=[("images_m00", ("a.png", b"not a png", "image/png"))])
    assert form.status_code == 422 and "not a PNG" in form.text
    mismatch = alice.post("/api/v1/study/visualizations", data={"trojan": ["m00", "m01"]},
                          files=[("images", ("a.png", b"x", "image/png"))])
    assert mismatch.status_code == 422 and "trojan" in mismatch.json()["detail"]
    assert boss.post("/api/v1/admin/study/open").status_code == 409  # nothing submitted yet


def test_a_whole_study_over_http(server_factory):
    server, boss, teams = _open_study(server_factory)
    assert upload(teams[0], {"m02": 1}).status_code == 409  # the study has started
    assert teams[0].get("/api/v1/study/next").status_code == 403  # not a rater
    assert teams[0].get("/api/v1/study/results").status_code == 403  # not closed yet
    raters = [_rater(server, r) for r in RATERS]
    for i, client in enumerate(raters):
        first = client.get("/api/v1/study/next").json()
        total = first["total"]
        assert total == 4 + 1 and first["answered"] == 0  # every question (k = 3 raters) and the attention check
        for step in range(total):
            q = client.get("/api/v1/study/next").json()["question"]
            assert len(q["candidates"]) == 8 and "answer" not in q
            if q["images"]:
                assert client.get(f"/api/v1/study/images/{q['images'][0]}").content.startswith(b"\x89PNG")
            choice = q["candidates"].index(q["attention_trigger"]) if q["attention_trigger"] else (i + step) % 8
            assert client.post("/api/v1/study/answers", json={"question": q["id"], "choice": choice}).status_code == 201
            if step == 0:
                again = client.post("/api/v1/study/answers", json={"question": q["id"], "choice": 1})
                assert again.status_code == 409 and "once" in again.json()["detail"]
        assert client.get("/api/v1/study/next").json() == {"status": "open", "answered": total, "total": total,
                                                           "question": None}
    r = raters[0].post("/api/v1/study/answers", json={"question": "s999-m00", "choice": 0})
    assert r.status_code == 403 and "not assigned" in r.json()["detail"]
    assert raters[0].post("/api/v1/study/answers", json={"question": "s1-m00", "choice": 8}).status_code in (409, 422)
    assert teams[0].get("/api/v1/study/reveal").status_code == 409
    assert boss.post("/api/v1/admin/study/close").json() == {"status": "closed"}
    late = raters[0].post("/api/v1/study/answers", json={"question": "s1-m00", "choice": 0})
    assert late.status_code == 409 and "closed" in late.json()["detail"]
    page = raters[1].post("/study/rate", data={"question": "s1-m00", "choice": "0"})  # the page's form
    assert page.status_code == 409 and "no longer accepted" in page.text and "5</strong> of 5" in page.text
    body = teams[0].get("/api/v1/study/results").json()
    assert [s["overall"]["answers"] for s in body["submissions"]] == [6, 6]
    for s in body["submissions"]:
        o = s["overall"]
        assert 0 <= o["low"] <= o["rate"] <= o["high"] <= 1
    csv = teams[1].get("/api/v1/study/results.csv").text.splitlines()
    assert csv[0].startswith("submission,trojan,right,answers,rate,wilson_low") and len(csv) == 1 + 4 + 2
    reveal = teams[1].get("/api/v1/study/reveal").json()
    assert len(reveal) == 5 and all(q["trigger"] == q["candidates"][q["answer"]] for q in reveal)
    code = boss.get("/api/v1/admin/study/submissions/1").json()["code"]
    assert code == "print('made')" and teams[0].get("/api/v1/admin/study/submissions/1").status_code == 403
    page = boss.get("/admin/study/submissions/1")
    assert page.status_code == 200 and "print(&#39;made&#39;)" in page.text


def test_concurrent_answers_are_never_lost_or_double_counted(server_factory):
    """12 threads per rater send every question of that rater's queue (each question 12 times at once): exactly
    one answer per rater and question is stored, every other copy is a 409."""
    server, boss, _ = _open_study(server_factory)
    raters = {name: _rater(server, name) for name in RATERS}
    state = server.state
    plan = study.load(state).assignment
    with state.db.read() as s:
        ids = {u.name: u.id for u in s.scalars(select(User).where(User.role == "rater"))}
    statuses: list[int] = []
    lock = threading.Lock()

    def send(name: str) -> None:
        client = server.new_client()
        client.cookies, client.headers = raters[name].cookies, raters[name].headers
        for qid in plan[str(ids[name])]:
            code = client.post("/api/v1/study/answers", json={"question": qid, "choice": 0}).status_code
            with lock:
                statuses.append(code)

    threads = [threading.Thread(target=send, args=(name,)) for name in RATERS for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = sum(len(plan[str(ids[n])]) for n in RATERS)
    assert statuses.count(201) == expected and statuses.count(409) == 11 * expected and len(statuses) == 12 * expected
    assert answer_count(state.db) == expected
    for name, client in raters.items():
        assert client.get("/api/v1/study/next").json()["answered"] == len(plan[str(ids[name])])
