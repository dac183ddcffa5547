"""League mode on the server: a round from proposal to standings, the plant check, windows, refusals, collusion
flags, the JSON API, and no key material before a round's reveal."""

import io
import json
import tarfile
import time
from datetime import timedelta

from server_support import BOTH_DBS, SECRET_ANSWER, WRONG_ANSWER, admin, now, player, wait_graded
from league_helpers import key_needles, league_spec, set_round, tiny_upload, walk_gets, wait_proposal

from interpctf.bundle import verify
from interpctf.schema import Key


def _league(server_factory):
    return server_factory(league_spec())


@BOTH_DBS
def test_round_from_proposal_to_standings(server_factory, tiny, tmp_path):
    server = _league(server_factory)
    a, b, c = player(server, "alice"), player(server, "bob"), player(server, "carol")
    r = a.post("/api/v1/league/rounds/1/proposals", files=tiny_upload(tiny, tmp_path))
    assert r.status_code == 202, r.text
    pid = r.json()["id"]
    body = wait_proposal(a, pid)
    assert body["status"] == "ready", body
    check = body["check"]["variants"][0]
    assert check["reference"]["solved"] is True
    assert set(check["baselines"]) == {"constant", "blackbox"}
    assert not any(x["solved"] for x in check["baselines"].values())
    assert b.get(f"/api/v1/league/proposals/{pid}").status_code == 404  # another team's proposal

    assert a.post(f"/api/v1/league/proposals/{pid}/confirm").json()["status"] == "published"
    slug = "r1-t1"
    assert b.get(f"/api/v1/league/challenges/{slug}").status_code == 404  # hidden until solving starts
    assert b.get(f"/api/v1/challenges/{slug}").status_code == 404  # and never in the CTF list
    assert a.get(f"/api/v1/league/challenges/{slug}").status_code == 200  # the proposer sees it
    assert b.get(f"/api/v1/league/challenges/{slug}/bundle").status_code == 404

    set_round(server, 1, "solving")
    download = b.get(f"/api/v1/league/challenges/{slug}/bundle")
    assert download.status_code == 200 and download.headers["content-type"] == "application/gzip"
    with tarfile.open(fileobj=io.BytesIO(download.content), mode="r:gz") as tar:
        names = tar.getnames()
    assert any(n.endswith("challenge.json") for n in names) and not any("key" in n for n in names)
    own = a.post(f"/api/v1/league/challenges/{slug}/submissions", files={"file": ("a.py", SECRET_ANSWER)})
    assert own.status_code == 403 and "own challenge" in own.json()["detail"]
    assert b.post(f"/api/v1/challenges/{slug}/submissions", files={"file": ("a.py", SECRET_ANSWER)}).status_code == 404
    sb = b.post(f"/api/v1/league/challenges/{slug}/submissions", files={"file": ("a.py", SECRET_ANSWER)})
    sc = c.post(f"/api/v1/league/challenges/{slug}/submissions/json",
                json={"filename": "w.py", "content": WRONG_ANSWER.decode()})
    assert sb.status_code == sc.status_code == 202, (sb.text, sc.text)
    assert wait_graded(b, sb.json()["id"])["public_solved"] is True
    assert wait_graded(c, sc.json()["id"])["public_solved"] is False
    round_open = b.get("/api/v1/league/rounds/1").json()
    assert round_open["phase"] == "solving" and "standings" not in round_open
    assert b.get(f"/api/v1/league/challenges/{slug}/key").status_code == 403
    assert b.get("/api/v1/league/rounds/1/standings").status_code == 404

    set_round(server, 1, "closed")
    time.sleep(0.1)
    overview = c.get("/api/v1/league").json()
    points = {row["team"]: row["points"] for row in overview["standings"]}
    # n = 3, one solver among the two others: the proposer gets the maximum 3, the sole solver 1 + 1
    assert points == {"team-alice": 3, "team-bob": 2, "team-carol": 0}
    assert "collusion" not in overview  # admins only
    detail = c.get("/api/v1/league/rounds/1").json()
    assert detail["revealed"] and detail["challenges"][0]["solvers"] == ["team-bob"]
    assert c.get("/api/v1/league/rounds/1/standings").json()[0]["team"] == "team-alice"
    key = c.get(f"/api/v1/league/challenges/{slug}/key")
    assert key.status_code == 200
    revealed = Key.model_validate(key.json())
    assert revealed.commitment() == detail["challenges"][0]["commitment"]
    folder = tmp_path / "k"
    folder.mkdir()
    (folder / "key.json").write_text(json.dumps(key.json()))
    assert verify(tiny / "variants" / "000" / "bundle", folder / "key.json").ok


RECIPE = """kind: labelfn
title: Recipe pairs
domain: pairs
p: 23
seed: 2
training: {steps: 150, batch_size: 256}
secret: |
  def label(x, y):
      return int(x < 12) ^ int((7 * x + 5 * y) % 61 == 0)
"""


def test_recipe_is_forged_on_the_server_with_progress(server_factory):
    server = _league(server_factory)
    a = player(server, "alice")
    r = a.post("/api/v1/league/rounds/1/proposals", data={"recipe_text": RECIPE})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "forging" and r.json()["title"] == "Recipe pairs"
    pid, steps, deadline = r.json()["id"], set(), time.time() + 180
    while time.time() < deadline:
        body = a.get(f"/api/v1/league/proposals/{pid}").json()
        if body["status"] == "forging":
            steps.add(body["progress"].get("step"))
            page = a.get(f"/league/proposals/{pid}").text
            still_forging = a.get(f"/api/v1/league/proposals/{pid}").json()["status"] == "forging"
            if still_forging:  # (the forge may finish between the two requests)
                assert "Forging on the server" in page and 'http-equiv="refresh"' in page
        if body["status"] not in ("forging", "checking"):
            break
        time.sleep(0.1)
    assert body["status"] == "ready", body
    assert steps - {None}, "the forge reported no progress step"
    assert body["check"]["variants"][0]["reference"]["solved"]
    assert a.post(f"/api/v1/league/proposals/{pid}/confirm").json()["status"] == "published"
    again = a.post("/api/v1/league/rounds/1/proposals", data={"recipe_text": RECIPE})
    assert again.status_code == 409 and "already published" in again.json()["detail"]


def test_a_stalled_proposal_can_be_replaced(server_factory, tiny, tmp_path):
    from interpctf.server.models import LeagueProposal, LeagueRound
    server = _league(server_factory)
    a = player(server, "alice")
    with server.state.db.write() as s:
        round_id = s.query(LeagueRound).filter_by(number=1).one().id
        s.add(LeagueProposal(round_id=round_id, team_id=1, user_id=2, source="recipe", status="forging",
                             title="old", progress={"step": "training", "at": now().isoformat()}))
    busy = a.post("/api/v1/league/rounds/1/proposals", files=tiny_upload(tiny, tmp_path))
    assert busy.status_code == 409 and "still being forged" in busy.json()["detail"]
    with server.state.db.write() as s:  # nothing heard for an hour: the forge was cut off
        row = s.query(LeagueProposal).one()
        row.progress = {"step": "training", "at": (now() - timedelta(hours=1)).isoformat()}
    assert a.get("/api/v1/league/proposals/1").json()["stalled"] is True
    assert "propose again" in a.get("/league/rounds/1").text
    r = a.post("/api/v1/league/rounds/1/proposals", files=tiny_upload(tiny, tmp_path))
    assert r.status_code == 202 and wait_proposal(a, r.json()["id"])["status"] == "ready"


def _tampered(tiny, tmp_path):
    """A bundle whose key's reference answer is wrong, with the commitment recomputed so that it matches."""
    import shutil

    from interpctf.schema import ReferenceAnswer
    from interpctf.schema import AnswerFile
    src = tiny / "variants" / "000"
    dst = tmp_path / "bad"
    shutil.copytree(src, dst)
    key = Key.model_validate_json((dst / "key.json").read_text())
    key.reference_answer = ReferenceAnswer.of(AnswerFile("rule.py", WRONG_ANSWER))
    (dst / "key.json").write_text(key.model_dump_json())
    manifest = json.loads((dst / "bundle" / "challenge.json").read_text())
    manifest["commitment"] = key.commitment()
    (dst / "bundle" / "challenge.json").write_text(json.dumps(manifest))
    return dst


@BOTH_DBS
def test_plant_check_refuses_a_key_whose_own_answer_fails(server_factory, tiny, tmp_path):
    server = _league(server_factory)
    a = player(server, "alice")
    bad = _tampered(tiny, tmp_path)
    pid = a.post("/api/v1/league/rounds/1/proposals", files=_files(bad, tmp_path)).json()["id"]
    body = wait_proposal(a, pid)
    assert body["status"] == "refused"
    assert "reference answer does not solve" in body["error"]
    r = a.post(f"/api/v1/league/proposals/{pid}/confirm")
    assert r.status_code == 409 and "plant check" in r.json()["detail"]
    page = a.get(f"/league/proposals/{pid}", headers={"accept": "text/html"}).text
    assert "Refused" in page and "Publish this challenge" not in page


def _files(folder, tmp_path):
    from interpctf.bundle import pack
    archive = pack(folder / "bundle", tmp_path / f"{folder.name}.tar.gz")
    return {"bundle": ("b.tar.gz", archive.read_bytes()), "key": ("key.json", (folder / "key.json").read_bytes())}


def test_a_key_for_another_bundle_is_refused(server_factory, tiny, tmp_path):
    server = _league(server_factory)
    a = player(server, "alice")
    files = tiny_upload(tiny, tmp_path)
    files["key"] = ("key.json", (tiny / "variants" / "001" / "key.json").read_bytes())
    body = wait_proposal(a, a.post("/api/v1/league/rounds/1/proposals", files=files).json()["id"])
    assert body["status"] == "refused" and "commitment" in body["error"]


@BOTH_DBS
def test_bad_input_and_windows_give_one_line_4xx(server_factory, tiny, tmp_path):
    server = _league(server_factory)
    a = player(server, "alice")
    files = tiny_upload(tiny, tmp_path)
    cases = [
        (a.post("/api/v1/league/rounds/9/proposals", files=files), 404, "no round 9"),
        (a.post("/api/v1/league/rounds/1/proposals"), 400, "send a recipe"),
        (a.post("/api/v1/league/rounds/1/proposals", files={**files, "key": ("key.json", b"{not json")}), 400,
         "not a valid key.json"),
        (a.post("/api/v1/league/rounds/1/proposals", files={**files, "bundle": ("b.tar.gz", b"junk")}), 400,
         "bundle archive"),
        (a.post("/api/v1/league/rounds/1/proposals", data={"recipe_text": "kind: nope\ntitle: x"}), 400, "kind"),
        (a.post("/api/v1/league/rounds/1/proposals", data={"recipe_text": "{: ["}), 400, "not valid YAML"),
        (a.get("/api/v1/league/rounds/abc"), 422, "number"),
        (a.get("/api/v1/league/proposals/77"), 404, "no proposal"),
        (a.post("/api/v1/league/proposals/77/confirm"), 404, "no proposal"),
        (a.get("/api/v1/league/challenges/nope"), 404, "no league challenge"),
        (a.post("/api/v1/league/challenges/nope/submissions/json", json={"content": "x"}), 404, "no league"),
    ]
    set_round(server, 1, "closed")
    cases.append((a.post("/api/v1/league/rounds/1/proposals", files=files), 403, "takes proposals from"))
    ad = admin(server)
    cases += [
        (ad.post("/api/v1/admin/league/rounds", json={"propose_from": "2030-01-02T00:00", "propose_until":
                                                     "2030-01-01T00:00", "solve_until": "2030-01-03T00:00"}),
         422, "propose_from < propose_until"),
        (a.post("/api/v1/admin/league/rounds", json={"propose_from": "2030-01-01T00:00", "propose_until":
                                                    "2030-01-02T00:00", "solve_until": "2030-01-03T00:00"}),
         403, "admin"),
        (a.get("/api/v1/admin/league/flags"), 403, "admin"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, (response.status_code, response.text)
        detail = response.json()["detail"]
        assert "\n" not in detail and words in detail, detail
    page = a.post("/league/rounds/1/propose", headers={"accept": "text/html"},
                  data={"csrf_token": a.headers["X-CSRF-Token"]})
    assert page.status_code == 403 and "takes proposals from" in page.text
    assert a.post("/league/rounds/1/propose", data={"csrf_token": "wrong"}).status_code == 403
    form = {"title": "Extra", "propose_from": "2030-01-01T00:00", "propose_until": "2030-01-02T00:00",
            "solve_until": "2030-01-03T00:00", "csrf_token": ad.headers["X-CSRF-Token"]}
    assert ad.post("/admin/league/rounds", data=form).status_code == 200  # redirected to the admin page
    bad = ad.post("/admin/league/rounds", data={**form, "solve_until": "soon"}, headers={"accept": "application/json"})
    assert bad.status_code == 400 and "is not a time" in bad.json()["detail"]
    bad = ad.post("/admin/league/rounds", data={**form, "solve_until": "2029-01-01T00:00"},
                  headers={"accept": "application/json"})
    assert bad.status_code == 400 and "propose_from < propose_until < solve_until" in bad.json()["detail"]
    r = ad.post("/api/v1/admin/league/rounds", json={"title": "Second", "propose_from": "2030-01-01T00:00Z",
                                                     "propose_until": "2030-01-02T00:00Z",
                                                     "solve_until": "2030-01-03T00:00Z"})
    assert r.status_code == 201 and r.json()["number"] == 3 and r.json()["phase"] == "upcoming"
    assert [x["title"] for x in a.get("/api/v1/league").json()["rounds"]] == ["Round 1", "Extra", "Second"]


def test_event_file_checks_the_league_rounds():
    import pytest

    from interpctf.errors import InterpctfError
    from interpctf.server.event_spec import parse_event_spec
    spec = {**league_spec(rounds=2), "ends_at": league_spec()["league"]["rounds"][0]["solve_until"]}
    with pytest.raises(InterpctfError, match="inside the event window"):
        parse_event_spec(spec)
    bad = league_spec()
    bad["league"]["rounds"][0]["solve_until"] = bad["league"]["rounds"][0]["propose_from"]
    with pytest.raises(InterpctfError, match="propose_from < propose_until < solve_until"):
        parse_event_spec(bad)
    parsed = parse_event_spec(league_spec(rounds=2))
    assert parsed.mode == "league" and len(parsed.league.rounds) == 2 and parsed.league.rules.proposer_max == 3


def test_league_routes_are_404_in_other_modes(server):
    p = player(server, "ctf")
    for path in ("/api/v1/league", "/api/v1/league/rounds/1", "/league"):
        r = p.get(path, headers={"accept": "application/json"})
        assert r.status_code == 404 and "not a league" in r.json()["detail"]


@BOTH_DBS
def test_collusion_flag_for_the_same_single_solver_twice(server_factory, tiny):
    import shutil

    from interpctf.server.event_spec import ChallengeSpec
    from interpctf.server.models import LeagueProposal, LeagueRound, Submission
    from interpctf.server.setup import add_challenge
    server = server_factory(league_spec(rounds=3))
    teams = {}
    for name in ("alice", "bob", "carol", "dave"):
        client = player(server, name)
        teams[name] = client.get("/api/v1/me").json()["team_id"]
    with server.state.db.write() as s:  # published challenges of alice in rounds 1 and 2, solved only by bob
        for number in (1, 2):
            folder = server.settings.data_dir / "challenges" / f"copy{number}"
            shutil.copytree(tiny, folder)
            chal = add_challenge(s, server.settings.data_dir, ChallengeSpec(slug=f"r{number}-x", forged=str(folder),
                                                                            hidden=True), folder, number)
            s.flush()
            r = s.query(LeagueRound).filter_by(number=number).one()
            s.add(LeagueProposal(round_id=r.id, team_id=teams["alice"], user_id=1, source="bundle",
                                 status="published", folder="", title="t", challenge_id=chal.id))
            s.add(Submission(challenge_id=chal.id, user_id=2, team_id=teams["bob"], filename="a.py", data=b"",
                             status="graded", score=1.0, solved=True, public_score=1.0, public_solved=True,
                             created_at=now() - timedelta(seconds=5)))
    set_round(server, 1, "closed")
    ad = admin(server)
    assert ad.get("/api/v1/admin/league/flags").json() == []  # one round is not a pattern
    set_round(server, 2, "closed")
    flags = ad.get("/api/v1/admin/league/flags").json()
    assert [(f["proposer"], f["solver"], f["rounds"]) for f in flags] == [("team-alice", "team-bob", [1, 2])]
    assert "team-bob" in ad.get("/admin/league").text


def test_no_key_material_before_the_reveal(server_factory, tiny, tmp_path):
    server = _league(server_factory)
    a, b = player(server, "alice"), player(server, "bob")
    pid = a.post("/api/v1/league/rounds/1/proposals", files=tiny_upload(tiny, tmp_path)).json()["id"]
    assert wait_proposal(a, pid)["status"] == "ready"
    a.post(f"/api/v1/league/proposals/{pid}/confirm")
    ids = {"number": 1, "proposal_id": pid, "slug": "r1-t1", "team_id": 1, "sub_id": 1, "hint_id": 1}
    for stage in ("proposing", "solving"):
        set_round(server, 1, stage)
        assert walk_gets([a, b], ids, key_needles(tiny)) > 100


def test_a_forge_cut_off_by_a_restart_resumes_when_the_server_starts(server_factory):
    """A proposal left 'forging' (its thread died with the old process) is forged again by the next start."""
    from fastapi.testclient import TestClient

    from interpctf.server.app import create_app
    from interpctf.server import league_jobs
    from interpctf.server.models import LeagueProposal, LeagueRound
    server = _league(server_factory)
    a = player(server, "alice")
    with server.state.db.write() as s:
        round_id = s.query(LeagueRound).filter_by(number=1).one().id
        folder = server.state.data_dir / "challenges" / "league" / "r1-t1-cut"
        (folder / "forged" / "variants").mkdir(parents=True)  # what a killed forge leaves behind
        (folder / "recipe.yaml").write_text(RECIPE)
        s.add(LeagueProposal(round_id=round_id, team_id=1, user_id=2, source="recipe", status="forging",
                             title="Recipe pairs", folder=str(folder.relative_to(server.state.data_dir)),
                             progress={"step": "training", "at": now().isoformat()}))
    restarted = TestClient(create_app(server.settings, migrate_db=False))
    with restarted:  # the new process's start-up resumes the proposal
        assert wait_proposal(a, 1)["status"] == "ready"
    assert league_jobs.resume_interrupted(server.state) == []  # nothing left in flight
    assert a.post("/api/v1/league/proposals/1/confirm").json()["status"] == "published"
