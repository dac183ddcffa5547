"""Agents on the server: submissions tagged by account type, the scoreboard filtered by it, and the per-challenge
human-vs-agent comparison (JSON and page)."""

from server_support import SECRET_ANSWER, WRONG_ANSWER, register, wait_graded


def _member(server, name: str, team: str, account_type: str):
    client = server.new_client()
    register(client, name, account_type=account_type)
    assert client.post("/api/v1/teams", json={"name": team}).status_code == 201
    return client


def _send(client, answer: bytes, slug: str = "tiny") -> dict:
    r = client.post(f"/api/v1/challenges/{slug}/submissions", files={"file": ("a.py", answer)})
    assert r.status_code == 202, r.text
    assert r.json()["account_type"] in ("human", "agent")
    return wait_graded(client, r.json()["id"])


def test_submissions_are_tagged_by_account_type(server):
    bot = _member(server, "robot", "Bots", "agent")
    person = _member(server, "person", "People", "human")
    assert _send(bot, WRONG_ANSWER)["account_type"] == "agent"
    assert _send(person, WRONG_ANSWER)["account_type"] == "human"
    assert {s["account_type"] for s in bot.get("/api/v1/submissions").json()} == {"agent"}
    from server_support import admin
    rows = admin(server).get("/api/v1/admin/submissions").json()
    assert {(r["user"], r["account_type"]) for r in rows} == {("robot", "agent"), ("person", "human")}


def test_scoreboard_filters_humans_and_agents(server):
    bot = _member(server, "robot", "Bots", "agent")
    _member(server, "person", "People", "human")
    _send(bot, SECRET_ANSWER)
    anon = server.new_client()
    everyone = anon.get("/api/v1/scoreboard").json()
    assert [r["team"] for r in everyone["standings"]] == ["Bots", "People"]
    humans = anon.get("/api/v1/scoreboard?accounts=human").json()
    assert humans["accounts"] == "human"
    assert [(r["team"], r["pos"]) for r in humans["standings"]] == [("People", 1)]  # ranked among humans
    agents = anon.get("/api/v1/scoreboard?accounts=agent").json()
    assert [r["team"] for r in agents["standings"]] == ["Bots"] and agents["series"][0]["team"] == "Bots"
    bad = anon.get("/api/v1/scoreboard?accounts=robots")
    assert bad.status_code == 422 and "\n" not in bad.json()["detail"]
    page = anon.get("/scoreboard?accounts=human", headers={"accept": "text/html"}).text
    assert "People" in page and "/teams/" in page and ">Bots<" not in page


def test_compare_page_shows_humans_against_agents(server):
    bot = _member(server, "robot", "Bots", "agent")
    person = _member(server, "person", "People", "human")
    _send(bot, WRONG_ANSWER)
    _send(bot, SECRET_ANSWER)
    _send(person, WRONG_ANSWER)
    data = person.get("/api/v1/challenges/tiny/compare").json()
    agent, human = data["groups"]["agent"], data["groups"]["human"]
    assert data["split"] == "public" and data["challenge"] == "tiny"
    assert (agent["teams"], agent["attempts"], agent["solves"], agent["best_score"]) == (1, 2, 1, 1.0)
    assert agent["mean_attempts_to_solve"] == 2.0 and agent["first_solve_seconds"] > 3000  # event began 1 h ago
    assert (human["teams"], human["attempts"], human["solves"], human["first_solve_seconds"]) == (1, 1, 0, None)
    assert human["best_score"] < 1.0
    page = person.get("/challenges/tiny/compare", headers={"accept": "text/html"})
    assert page.status_code == 200 and "humans vs agents" in page.text and "100.0%" in page.text
    assert server.new_client().get("/api/v1/challenges/nope/compare").status_code == 404
