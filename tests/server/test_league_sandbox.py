"""League proposals run in the sandbox's forge profile: a recipe whose secret attacks the server (another team's
key, event.db, files outside its folder, the network, an admin role) gets none of it; a bundle whose config.json
asks for a huge model, and a job past its wall budget, are stopped with a one-line reason; recipe caps refuse
before anything is forged. All through HTTP to a served league event."""

import ast
import json
import os
import shutil
import socket

import yaml
from server_support import player
from league_helpers import league_spec, tiny_upload, wait_proposal
from sqlalchemy import select

from interpctf.bundle import file_hashes, pack
from interpctf.schema import Key
from interpctf.server.models import LeagueProposal, User

# The proposer's secret: every attack at import, in draw() and in label(). What each attempt got ("OK" or the
# exception's name) is raised from label() as the proposal's error, which the proposer (and this test) sees.
ATTACKS = ("key", "db", "outside", "copy", "net", "data", "exec")
PAYLOAD = '''
import os, socket, sqlite3, subprocess

def _read_key():
    return open(TARGETS["key"]).read()

def _promote():
    db = sqlite3.connect(TARGETS["db"])
    db.execute("UPDATE users SET role = 'admin' WHERE name = 'alice'")
    db.commit()

def _write_outside():
    for path in TARGETS["outside"]:
        with open(path, "w") as fh:
            fh.write("pwned")

def _copy_key_into_own_output():
    with open("/job/job-output/stolen-key.json", "w") as fh:
        fh.write(open(TARGETS["key"]).read())

def _connect():
    socket.create_connection(("127.0.0.1", TARGETS["port"]), timeout=2).sendall(b"pwned")

def _list_data():
    return os.listdir(TARGETS["data"])

def _shell():
    subprocess.run(["/bin/sh", "-c", "id"], check=True)

def _attack():
    got = []
    for action in (_read_key, _promote, _write_outside, _copy_key_into_own_output, _connect, _list_data, _shell):
        try:
            action()
            got.append("OK")
        except BaseException as exc:
            got.append(type(exc).__name__)
    return "|".join(got)

import sys
SEEN = sys.__dict__.setdefault("seen", {})  # the rule's source runs twice (draw, then label): kept across
SEEN.setdefault("import", _attack())

def draw(rng, inputs):
    SEEN["draw"] = _attack()
    return {}

def label(x, y):
    SEEN["label"] = _attack()
    raise RuntimeError("SEEN " + " ".join(f"{k}={v}" for k, v in SEEN.items()))
'''

# tests/conftest.py's SMALL_PAIRS: a p = 23 recipe that meets the labelfn bars.
BENIGN = {"kind": "labelfn", "title": "Recipe pairs", "domain": "pairs", "p": 23, "seed": 3,
          "training": {"steps": 800, "batch_size": 256},
          "secret": "def label(x, y):\n    return int(abs(x - y) > 6)\n"}


def _league(server_factory, **league):
    spec = league_spec()
    spec["league"].update(league)
    return server_factory(spec)


def _recipe(secret: str, **fields) -> str:
    return yaml.safe_dump({**BENIGN, "secret": secret, **fields})


def _other_teams_key(server, client, tiny, tmp_path):
    """Bob's team proposes the tiny challenge first: its key.json sits in the event's data folder."""
    pid = client.post("/api/v1/league/rounds/1/proposals", files=tiny_upload(tiny, tmp_path)).json()["id"]
    assert wait_proposal(client, pid)["status"] == "ready"
    with server.state.db.read() as s:
        folder = s.get(LeagueProposal, pid).folder
    return server.state.data_dir / folder / "key.json"


def _files_containing(root, needle: bytes, skip) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and path != skip and needle in path.read_bytes():
            hits.append(str(path))
    return hits


def test_a_recipe_whose_secret_attacks_the_server_gets_nothing_and_fails_in_one_line(server_factory, tiny, tmp_path):
    server = _league(server_factory)
    alice, bob = player(server, "alice"), player(server, "bob")
    bob_key = _other_teams_key(server, bob, tiny, tmp_path)
    salt = Key.model_validate_json(bob_key.read_text()).salt
    db_path = server.settings.database_url.removeprefix("sqlite:///")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    outside = [str(tmp_path / "pwned"), str(server.state.data_dir / "pwned")]
    targets = {"key": str(bob_key), "db": db_path, "outside": outside, "port": listener.getsockname()[1],
               "data": str(server.state.data_dir)}
    secret = f"TARGETS = {targets!r}\n{PAYLOAD}"

    r = alice.post("/api/v1/league/rounds/1/proposals", data={"recipe_text": _recipe(secret)})
    assert r.status_code == 202, r.text
    body = wait_proposal(alice, r.json()["id"], timeout=300)
    assert body["status"] == "failed" and "\n" not in body["error"], body
    seen = dict(part.split("=", 1) for part in body["error"].split("SEEN ", 1)[1].split())
    assert set(seen) == {"import", "draw", "label"}, body["error"]
    for moment, outcomes in seen.items():  # every attempt failed, each at every moment
        got = dict(zip(ATTACKS, outcomes.split("|")))
        assert "OK" not in got.values(), (moment, got)
        assert got["key"] == got["copy"] == got["data"] == "FileNotFoundError", got  # no event data folder inside
        assert got["net"] == "PermissionError", got  # seccomp refuses socket()
        assert got["exec"] == "FileNotFoundError", got  # no shell, no other programs

    # And on the host: nothing happened.
    folder = server.state.data_dir / "challenges" / "league"
    with server.state.db.read() as s:
        assert s.scalar(select(User.role).where(User.name == "alice")) == "participant"
    assert alice.get("/api/v1/admin/users").status_code == 403
    assert not any(os.path.exists(p) for p in outside)
    try:
        listener.accept()
        raise AssertionError("the payload reached the host's network")
    except BlockingIOError:
        pass
    finally:
        listener.close()
    assert _files_containing(server.state.data_dir, salt.encode(), skip=bob_key) == []
    assert not list(folder.glob("*/job-output")) and not list(folder.glob("*/forged"))
    assert all(os.lstat(p).st_uid == os.geteuid() for p in folder.rglob("*"))  # handed back from the job's uid


def _huge_model(tiny, dst):
    """The tiny challenge with a config.json asking for 3,000 transformer layers (~16 GB), commitment redone."""
    shutil.copytree(tiny / "variants" / "000", dst)
    config_path = dst / "bundle" / "model" / "config.json"
    config = json.loads(config_path.read_text())
    config["n_layer"] = 3000
    config_path.write_text(json.dumps(config))
    key = Key.model_validate_json((dst / "key.json").read_text())
    key.bundle_files = file_hashes(dst / "bundle", skip={"challenge.json", "README.md"})
    (dst / "key.json").write_text(key.model_dump_json())
    manifest = json.loads((dst / "bundle" / "challenge.json").read_text())
    manifest["commitment"] = key.commitment()
    (dst / "bundle" / "challenge.json").write_text(json.dumps(manifest))


def _huge_model_upload(tiny, tmp_path) -> dict:
    dst = tmp_path / "huge"
    _huge_model(tiny, dst)
    archive = pack(dst / "bundle", tmp_path / "huge.tar.gz")
    return {"bundle": ("huge.tar.gz", archive.read_bytes()), "key": ("key.json", (dst / "key.json").read_bytes())}


def test_a_bundle_whose_config_asks_for_a_huge_model_is_contained(server_factory, tiny, tmp_path):
    server = _league(server_factory, forge={"memory_bytes": 2 << 30, "wall_seconds": 240})
    alice = player(server, "alice")
    r = alice.post("/api/v1/league/rounds/1/proposals", files=_huge_model_upload(tiny, tmp_path))
    if r.status_code == 400:  # the intake refused the config.json from its header: contained earlier still
        assert "\n" not in r.json()["detail"]
        return
    body = wait_proposal(alice, r.json()["id"], timeout=300)
    assert body["status"] in ("failed", "refused"), body
    assert "\n" not in body["error"]
    assert "out of memory" in body["error"] or "config" in body["error"], body["error"]
    assert alice.get("/api/v1/me").status_code == 200  # the server is fine


def test_a_huge_model_past_the_intake_is_stopped_by_the_job_memory_budget(server_factory, tiny):
    """Defence in depth: the same bundle put straight into the data folder (as if the intake's config.json check
    had let it through) is checked by the background job, whose sandbox stops it at its memory budget."""
    from interpctf.server import league_jobs
    from interpctf.server.models import LeagueRound
    server = _league(server_factory, forge={"memory_bytes": 2 << 30, "wall_seconds": 240})
    player(server, "alice")
    folder = server.state.data_dir / "challenges" / "league" / "r1-t1-huge"
    folder.parent.mkdir(parents=True)
    _huge_model(tiny, folder)
    with server.state.db.write() as s:
        round_id = s.scalar(select(LeagueRound.id).where(LeagueRound.number == 1))
        row = LeagueProposal(round_id=round_id, team_id=1, user_id=2, source="bundle", status="checking",
                             title="huge", folder=str(folder.relative_to(server.state.data_dir)), progress={})
        s.add(row)
        s.flush()
        pid = row.id
    league_jobs.run_proposal(server.state, pid, "bundle")
    with server.state.db.read() as s:
        row = s.get(LeagueProposal, pid)
        assert (row.status, row.error) == ("failed", "the forge job ran out of memory (budget 2048 MiB)")


def test_a_forge_job_is_killed_at_its_wall_budget(server_factory):
    server = _league(server_factory, forge={"wall_seconds": 5})
    alice = player(server, "alice")
    secret = "import time\ntime.sleep(600)\n\ndef label(x, y):\n    return 0\n"
    pid = alice.post("/api/v1/league/rounds/1/proposals", data={"recipe_text": _recipe(secret)}).json()["id"]
    body = wait_proposal(alice, pid, timeout=120)
    assert body["status"] == "failed" and body["error"] == "the forge job ran past its wall-clock budget (5 s)"
    with server.state.db.read() as s:
        folder = server.state.data_dir / s.get(LeagueProposal, pid).folder
    assert not (folder / "job-output").exists()


def test_recipe_caps_refuse_before_forging(server_factory):
    server = _league(server_factory, recipe_caps={"max_parameters": 1000})
    alice = player(server, "alice")
    for fields, words in (({"p": 500}, "p: 500"), ({"training": {"steps": 50_000}}, "training steps: 50,000"),
                          ({"variants": 40}, "models to train: 40")):
        r = alice.post("/api/v1/league/rounds/1/proposals", data={"recipe_text": _recipe(BENIGN["secret"], **fields)})
        assert r.status_code == 400 and words in r.json()["detail"] and "\n" not in r.json()["detail"], r.text
    # The parameter count needs the model built (on torch's meta device): the forge job refuses it, first thing.
    pid = alice.post("/api/v1/league/rounds/1/proposals", data={"recipe_text": _recipe(BENIGN["secret"])}).json()["id"]
    body = wait_proposal(alice, pid, timeout=120)
    assert body["status"] == "refused" and "model parameters" in body["error"] and "1,000" in body["error"], body
