"""Fixtures for the server tests: a tiny forged challenge (cached on disk), events on SQLite and PostgreSQL,
and a server per test (the plain helpers tests import are in server_support.py)."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from server_support import event_spec, free_port, make_server
from tiny import tiny_challenge

PG_BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture(scope="session")
def tiny() -> Path:
    return tiny_challenge()


# ---- PostgreSQL: a throwaway cluster on loopback, run as a non-root user --------------------------------------
@pytest.fixture(scope="session")
def pg_server():
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL server binaries not found in {PG_BIN} (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="ictf-pg-"))
    os.chmod(root, 0o777)
    data = root / "data"
    port = free_port()
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


