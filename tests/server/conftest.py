"""Fixtures for the server tests: a tiny forged challenge (cached on disk), events on SQLite and PostgreSQL,
clients logged in as participants and admins."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tiny import SECRET_ANSWER, WRONG_ANSWER, tiny_challenge  # noqa: F401  (re-exported for tests)

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@pytest.fixture(scope="session")
def tiny() -> Path:
    return tiny_challenge()


def event_spec(tiny: Path, **overrides) -> dict:
    spec = {
        "title": "Test CTF", "description": "An event for tests.",
        "starts_at": (now() - timedelta(hours=1)).isoformat(), "ends_at": (now() + timedelta(hours=2)).isoformat(),
        "mode": "team", "team_size": 3,
        "rules": {"partial_credit": True, "first_blood": [10]},
        "challenges": [
            {"slug": "tiny", "forged": str(tiny), "category": "pairs",
             "value": {"function": "linear", "initial": 500, "minimum": 100, "decay": 50}, "max_attempts": 5,
             "hints": [{"content": "think about sums", "cost": 25}]},
            {"slug": "capped", "forged": str(tiny), "max_attempts": 1, "value": {"initial": 100}},
        ],
        "accounts": [{"name": "admin", "password": "admin-password", "role": "admin"}],
    }
    spec.update(overrides)
    return spec


# ---- PostgreSQL: a throwaway cluster on loopback, run as a non-root user --------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server():
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL server binaries not found in {PG_BIN} (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="ictf-pg-"))
    os.chmod(root, 0o777)
    data = root / "data"
    port = _free_port()
    as_user = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(as_user + [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                              "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
    subprocess.run(as_user + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                              f"-h 127.0.0.1 -p {port} -k {root} -F -c fsync=off -c max_connections=200",
                              "start"], check=True, capture_output=True)
    counter = {"n": 0}

    def new_database() -> str:
        counter["n"] += 1
        name = f"ictf_{counter['n']}"
        subprocess.run(as_user + [str(PG_BIN.parent / "bin" / "psql") if (PG_BIN / "psql").exists() else "psql",
                                  "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c",
                                  f"CREATE DATABASE {name}"], check=True, capture_output=True)
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"

    try:
        yield new_database
    finally:
        subprocess.run(as_user + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def db_kind(request):
    return getattr(request, "param", "sqlite")


# Decorate a test with this to run it against PostgreSQL too (the default is SQLite only, to keep the run short).
BOTH_DBS = pytest.mark.parametrize("db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                   indirect=True)


@pytest.fixture
def db_url(db_kind, request, tmp_path):
    if db_kind == "sqlite":
        return f"sqlite:///{tmp_path / 'event.db'}"
    return request.getfixturevalue("pg_server")()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes():
    """argon2id with small parameters: the tests hash hundreds of passwords on two busy cores."""
    from interpctf.server import auth
    auth.configure_hasher(time_cost=1, memory_kib=1024, parallelism=1)


# ---- servers and clients --------------------------------------------------------------------------------------
class Server:
    def __init__(self, app, client, settings):
        self.app, self.client, self.settings = app, client, settings

    @property
    def state(self):
        return self.app.state.ictf

    def drain(self, timeout: float = 60.0) -> None:
        assert self.state.worker.drain(timeout), "grading did not finish"

    def new_client(self):
        from fastapi.testclient import TestClient
        return TestClient(self.app)


def make_server(tmp_path: Path, url: str, spec: dict, **settings):
    from fastapi.testclient import TestClient

    from interpctf.server.app import create_app
    from interpctf.server.config import Settings
    from interpctf.server.event_spec import parse_event_spec
    from interpctf.server.setup import create_event

    data = tmp_path / "data"
    create_event(parse_event_spec(spec), tmp_path, data, url).dispose()
    settings.setdefault("executor", "inline")
    settings.setdefault("board_poll_seconds", 0.0)
    settings.setdefault("cache_seconds", 0.0)
    cfg = Settings(data_dir=data, database_url=url, **settings)
    app = create_app(cfg)
    client = TestClient(app)
    client.__enter__()
    return Server(app, client, cfg)


@pytest.fixture
def server_factory(tmp_path, db_url):
    made = []

    def factory(spec_overrides=None, **settings):
        sub = tmp_path / f"s{len(made)}"
        sub.mkdir()
        server = make_server(sub, db_url if not made else db_url, event_spec(_tiny(), **(spec_overrides or {})),
                             **settings)
        made.append(server)
        return server

    yield factory
    for server in made:
        server.client.__exit__(None, None, None)


def _tiny() -> Path:
    return tiny_challenge()


@pytest.fixture
def server(server_factory):
    return server_factory()


def register(client, name: str, password: str = "password123", account_type: str = "human") -> str:
    """Register (logs the client in); returns the CSRF token for later state-changing calls."""
    r = client.post("/api/v1/register", json={"name": name, "password": password, "account_type": account_type})
    assert r.status_code == 201, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return r.json()["csrf_token"]


def login(client, name: str, password: str) -> None:
    r = client.post("/api/v1/login", json={"name": name, "password": password})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]


def player(server, name: str, team: str | None = None):
    """A fresh client registered as ``name`` and in team ``team`` (created), or its own team named after it."""
    client = server.new_client()
    register(client, name)
    r = client.post("/api/v1/teams", json={"name": team or f"team-{name}"})
    assert r.status_code == 201, r.text
    return client


def admin(server):
    client = server.new_client()
    login(client, "admin", "admin-password")
    return client


def wait_graded(client, sub_id: int, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        body = client.get(f"/api/v1/submissions/{sub_id}").json()
        if body["status"] in ("graded", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"submission {sub_id} not graded in {timeout}s")


def all_routes():
    """Every (methods, path) the server defines (FastAPI >= 0.165 nests included routers, so ask the modules)."""
    from interpctf.server.routes import admin_api, admin_pages, api, board, pages
    out = []
    from interpctf.server.routes import MODE_ROUTERS
    routers = [module.router for module in (api, board, admin_api, pages, admin_pages)] + MODE_ROUTERS()
    for router in routers:
        for route in router.routes:
            out.append((set(route.methods), route.path))
    return out
