"""Plain helpers for the server tests (importable by name: conftest modules of several test folders would clash
under one module name when folders are collected together): event specs, servers, logged-in clients."""

import socket
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tiny import SECRET_ANSWER, WRONG_ANSWER, tiny_challenge  # noqa: F401  (re-exported for tests)

def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


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


# Decorate a test with this to run it against PostgreSQL too (the default is SQLite only, to keep the run short).
BOTH_DBS = pytest.mark.parametrize("db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                   indirect=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
