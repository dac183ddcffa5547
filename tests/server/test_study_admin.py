"""The admin's study page: submissions with their images per trojan, each rater's progress, careless raters
(a wrong attention check) flagged, and the open and close buttons (an error shown on the page, in one line)."""

from server_support import admin, player
from study_helpers import SETTINGS, study_spec, upload
from test_study_api import _rater

from interpctf.server import study


def test_the_admin_opens_watches_and_closes_the_study_from_one_page(server_factory):
    server = server_factory(study_spec())
    boss = admin(server)
    csrf = {"csrf_token": boss.headers["X-CSRF-Token"]}
    assert boss.put("/api/v1/admin/study/settings", json=SETTINGS).status_code == 200
    refused = boss.post("/admin/study/open", data=csrf, follow_redirects=False)
    assert refused.status_code == 409 and "no visualization has been submitted" in refused.text
    assert upload(player(server, "alice"), {"m00": 2, "m01": 1}).status_code == 201
    page = boss.get("/admin/study").text
    assert 'id="open"' in page and "alice" in page and "<code>m00</code>×2" in page

    assert boss.post("/admin/study/open", data=csrf, follow_redirects=False).status_code == 303
    state = study.load(server.state)
    checks = [q for q in state.questions if q["attention"]]
    careless = _rater(server, "rater1")
    for qid in state.assignment[str(_user_id(server, "rater1"))]:
        q = next(q for q in state.questions if q["id"] == qid)
        wrong = (q["answer"] + 1) % len(q["candidates"])
        assert careless.post("/api/v1/study/answers", json={"question": qid, "choice": wrong}).status_code == 201
    page = boss.get("/admin/study").text
    assert 'id="close"' in page and checks
    load = len(state.assignment[str(_user_id(server, "rater1"))])
    assert page.count("careless: answers dropped") == 1 and f"{load} / {load}" in page

    assert boss.post("/admin/study/close", data=csrf, follow_redirects=False).status_code == 303
    assert "Results and reveal" in boss.get("/admin/study").text
    again = boss.post("/admin/study/close", data=csrf, follow_redirects=False)
    assert again.status_code == 409 and "only an open study can be closed" in again.text
    assert player(server, "bob").get("/admin/study").status_code == 403


def _user_id(server, name: str) -> int:
    from sqlalchemy import select

    from interpctf.server.models import User
    with server.state.db.read() as s:
        return int(s.scalar(select(User.id).where(User.name == name)))
