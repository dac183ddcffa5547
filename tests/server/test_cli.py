"""The commands end to end: event create, serve (uvicorn, the local process pool grading), the client
(login, pull, submit --wait, scoreboard, each with --json), export/import, and the demo."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from server_support import SECRET_ANSWER, event_spec
from tiny import TINY_RECIPE

from interpctf.cli import app


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(*args, env=None):
    result = CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def live(tmp_path, tiny):
    spec = event_spec(tiny)
    event_file = tmp_path / "event.yaml"
    event_file.write_text(yaml.safe_dump(spec))
    out = json.loads(run("event", "create", event_file, "--data", tmp_path / "data", "--json"))
    assert out["challenges"] == ["tiny", "capped"]
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "interpctf.cli", "serve", "--data", str(tmp_path / "data"),
                             "--port", str(port), "--grading-workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"server did not start: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    yield url, tmp_path
    proc.terminate()
    proc.wait(15)


def test_client_commands_against_a_live_server(live):
    url, tmp = live
    r = httpx.post(f"{url}/api/v1/register", json={"name": "agent007", "password": "password123",
                                                   "account_type": "agent"})
    httpx.post(f"{url}/api/v1/teams", json={"name": "Agents"}, cookies=r.cookies,
               headers={"X-CSRF-Token": r.json()["csrf_token"]}).raise_for_status()
    env = {"INTERPCTF_CLIENT_CONFIG": str(tmp / "client.json")}
    out = json.loads(run("login", url, "--name", "agent007", "--password", "password123", "--json", env=env))
    assert out["user"]["account_type"] == "agent"
    assert oct(os.stat(tmp / "client.json").st_mode)[-3:] == "600"
    pulled = json.loads(run("pull", "tiny", "-o", tmp / "work", "--json", env=env))
    assert (tmp / "work" / os.path.basename(pulled["bundle"]) / "challenge.json").exists()
    answer = tmp / "rule.py"
    answer.write_bytes(SECRET_ANSWER)
    graded = json.loads(run("submit", "tiny", answer, "--wait", "--json", env=env))
    assert graded["status"] == "graded" and graded["public_solved"] is True
    board = json.loads(run("scoreboard", "--json", env=env))
    assert board["standings"][0]["team"] == "Agents" and board["standings"][0]["accounts"] == "agent"
    assert "Agents" in run("scoreboard", env=env)
    bad = CliRunner().invoke(app, ["submit", "nope", str(answer)], env=env)
    assert bad.exit_code != 0 and "no challenge" in str(bad.exception)


@pytest.mark.postgres
def test_export_import_round_trip(tmp_path, tiny, pg_server):
    from interpctf.server.db import Database
    from interpctf.server.event_spec import parse_event_spec
    from interpctf.server.setup import create_event
    from interpctf.server.transfer import export_event, export_rows, import_event
    from server_support import make_server, player, wait_graded

    server = make_server(tmp_path / "a", f"sqlite:///{tmp_path / 'a.db'}", event_spec(tiny))
    c = player(server, "exporter")
    wait_graded(c, c.post("/api/v1/challenges/tiny/submissions", files={"file": ("r.py", SECRET_ANSWER)}).json()["id"])
    c.post(f"/api/v1/hints/{c.get('/api/v1/challenges/tiny').json()['hints'][0]['id']}/unlock")
    board = c.get("/api/v1/scoreboard").json()
    server.client.__exit__(None, None, None)
    run("event", "export", tmp_path / "export", "--data", server.settings.data_dir,
        "--db", server.settings.database_url)
    # SQLite -> PostgreSQL -> SQLite: the rows survive both ways
    pg_url = pg_server()
    pg = import_event(tmp_path / "export", tmp_path / "b", pg_url)
    export_event(pg, tmp_path / "b", tmp_path / "export2")
    with Database(server.settings.database_url).read() as s:
        original = export_rows(s)
    assert json.loads((tmp_path / "export2" / "event.json").read_text()) == original
    run("event", "import", tmp_path / "export2", "--data", tmp_path / "c", "--db", f"sqlite:///{tmp_path / 'c.db'}")
    from server_support import Server
    from fastapi.testclient import TestClient
    from interpctf.server.app import create_app
    from interpctf.server.config import Settings
    for data, url in ((tmp_path / "b", pg_url), (tmp_path / "c", f"sqlite:///{tmp_path / 'c.db'}")):
        app2 = create_app(Settings(data_dir=data, database_url=url, run_worker=False))
        with TestClient(app2) as client:
            again = client.get("/api/v1/scoreboard").json()
            assert again["standings"] == board["standings"]
            assert client.post("/api/v1/login", json={"name": "exporter", "password": "password123"}).status_code == 200
            # sequences moved past the imported ids: new rows work
            assert client.post("/api/v1/register", json={"name": "newbie", "password": "password123"}).status_code == 201
    pg.dispose()


def test_demo_sets_up_an_event(tmp_path, tiny, monkeypatch):
    from interpctf.commands.demo import cached_path
    monkeypatch.setenv("INTERPCTF_DEMO_CACHE", str(tmp_path / "cache"))
    recipe = tmp_path / "tiny-demo.yaml"
    recipe.write_text(yaml.safe_dump(TINY_RECIPE))
    shutil.copytree(tiny, cached_path(recipe))  # the same recipe was forged already: the demo reuses it
    info = json.loads(run("demo", "--no-serve", "--json", "--recipe", recipe, "--port", "8123"))
    assert info["url"] == "http://127.0.0.1:8123" and info["challenges"] == ["tiny-demo"]
    assert info["admin"]["name"] == "admin" and len(info["player"]["password"]) >= 8
    from fastapi.testclient import TestClient
    from interpctf.server.app import create_app
    from interpctf.server.config import Settings
    with TestClient(create_app(Settings(data_dir=info["data"], run_worker=False))) as client:
        r = client.post("/api/v1/login", json={"name": "demo", "password": info["player"]["password"]})
        assert r.status_code == 200
        assert client.get("/api/v1/challenges").json()[0]["slug"] == "tiny-demo"
