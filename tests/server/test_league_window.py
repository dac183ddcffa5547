"""The edge of a league round's solve window: an answer the server accepted while the round was solving counts
in the round's standings, even when the round closes while the answer is still being taken in (parsed, counted,
stored). The window is checked at one instant and the answer is stamped with that same instant."""

from server_support import SECRET_ANSWER, player, wait_graded
from league_helpers import league_spec, set_round, tiny_upload, wait_proposal

from interpctf.kinds import get_kind


def test_an_answer_accepted_in_the_window_counts_when_the_round_closes_during_intake(
        server_factory, tiny, tmp_path, monkeypatch):
    server = server_factory(league_spec())
    alice, bob = player(server, "alice"), player(server, "bob")
    pid = alice.post("/api/v1/league/rounds/1/proposals", files=tiny_upload(tiny, tmp_path)).json()["id"]
    assert wait_proposal(alice, pid)["status"] == "ready"
    assert alice.post(f"/api/v1/league/proposals/{pid}/confirm").json()["status"] == "published"
    set_round(server, 1, "solving")

    kind = type(get_kind("labelfn"))
    parse = kind.parse_answer

    def parse_while_the_round_closes(self, answer, challenge):
        set_round(server, 1, "closed")  # the window ends after the check, before the answer is stored
        return parse(self, answer, challenge)

    monkeypatch.setattr(kind, "parse_answer", parse_while_the_round_closes)
    sub = bob.post("/api/v1/league/challenges/r1-t1/submissions", files={"file": ("a.py", SECRET_ANSWER)})
    assert sub.status_code == 202, sub.text
    monkeypatch.setattr(kind, "parse_answer", parse)
    assert wait_graded(bob, sub.json()["id"])["status"] == "graded"

    detail = bob.get("/api/v1/league/rounds/1").json()
    assert detail["phase"] == "closed"
    assert detail["challenges"][0]["solvers"] == ["team-bob"]
    late = bob.post("/api/v1/league/challenges/r1-t1/submissions", files={"file": ("b.py", SECRET_ANSWER)})
    assert late.status_code == 403  # and once closed, nothing more is taken
