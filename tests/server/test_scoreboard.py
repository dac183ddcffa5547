"""The scoreboard: JSON, CTFtime feed, SVG chart, freeze, cache invalidation when a grade lands."""

import xml.etree.ElementTree as ET

from server_support import BOTH_DBS, SECRET_ANSWER, WRONG_ANSWER, admin, player, wait_graded
from helpers_time import set_window


def _solve(c, slug="tiny", answer=SECRET_ANSWER):
    sid = c.post(f"/api/v1/challenges/{slug}/submissions", files={"file": ("r.py", answer)}).json()["id"]
    return wait_graded(c, sid)


@BOTH_DBS
def test_board_feed_and_chart(server):
    a, b = player(server, "alice", "Alpha"), player(server, "bob", "Bravo")
    _solve(a)
    _solve(b)
    _solve(b, "capped", WRONG_ANSWER)
    board = server.new_client().get("/api/v1/scoreboard").json()  # public, no login
    rows = {r["team"]: r for r in board["standings"]}
    # linear 500 -> 450 after two solves; partial credit; first blood +10 for Alpha
    assert rows["Alpha"]["score"] == 460
    partial = rows["Bravo"]["score"] - 450  # round(100 * public score) of the wrong rule on "capped"
    assert 0 < partial < 100 and rows["Bravo"]["solves"] == 1
    assert rows["Bravo"]["pos"] == (1 if partial > 10 else 2)
    tiny = next(ch for ch in board["challenges"] if ch["slug"] == "tiny")
    assert tiny == {"slug": "tiny", "title": "Tiny pairs", "value": 450, "solves": 2}
    feed = server.new_client().get("/api/v1/scoreboard/ctftime").json()
    assert set(feed) == {"standings"} and set(feed["standings"][0]) == {"pos", "team", "score"}
    svg = server.new_client().get("/scoreboard/chart.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.text)
    assert len(root.findall("{http://www.w3.org/2000/svg}polyline")) == 2


def test_cache_is_invalidated_when_a_grade_lands(server):
    a = player(server, "cy")
    c = server.new_client()
    assert c.get("/api/v1/scoreboard").json()["standings"][0]["score"] == 0
    assert c.get("/api/v1/scoreboard").json()["standings"][0]["score"] == 0  # cached
    _solve(a)
    assert c.get("/api/v1/scoreboard").json()["standings"][0]["score"] == 510


def test_freeze_hides_later_solves_from_others_until_the_end(server):
    a, b = player(server, "dee", "Delta"), player(server, "eddie", "Echo")
    _solve(a)
    set_window(server, -60, 60, freeze_min=0)  # frozen now: both solves below happen after it
    _solve(b)
    _solve(a, "capped")
    board = server.new_client().get("/api/v1/scoreboard").json()
    rows = {r["team"]: r["score"] for r in board["standings"]}
    assert board["phase"] == "frozen" and board["frozen_at"]
    assert rows == {"Delta": 510, "Echo": 0}  # only what happened before the freeze
    tiny = next(ch for ch in board["challenges"] if ch["slug"] == "tiny")
    assert tiny["solves"] == 1  # counts are frozen too
    live = admin(server).get("/api/v1/scoreboard").json()
    assert {r["team"]: r["score"] for r in live["standings"]}["Echo"] > 0
    set_window(server, -120, -1, freeze_min=-60)
    final = server.new_client().get("/api/v1/scoreboard").json()
    assert final["phase"] == "ended" and {r["team"]: r["score"] for r in final["standings"]}["Echo"] > 0


def test_agent_accounts_are_shown(server):
    from server_support import register
    c = server.new_client()
    register(c, "robo", account_type="agent")
    c.post("/api/v1/teams", json={"name": "Bots"})
    rows = server.new_client().get("/api/v1/scoreboard").json()["standings"]
    assert rows[0]["accounts"] == "agent"
    assert "agent" in server.new_client().get("/scoreboard", headers={"accept": "text/html"}).text


def test_awards_move_the_board(server):
    p = player(server, "fox")
    team_id = p.get("/api/v1/me").json()["team_id"]
    a = admin(server)
    assert a.post("/api/v1/admin/awards", json={"team_id": team_id, "value": 42, "reason": "writeup"}).status_code == 201
    assert server.new_client().get("/api/v1/scoreboard/ctftime").json()["standings"][0]["score"] == 42
    assert a.post("/api/v1/admin/awards", json={"team_id": 999, "value": 1}).status_code == 404
