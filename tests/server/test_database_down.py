"""While the database cannot be reached the API says so with a 503 and Retry-After (a client retries), never a
500, and it serves again as soon as the database is back: no restart needed."""

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from server_support import player

ON_POSTGRES = pytest.mark.parametrize("db_kind", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                      indirect=True)


def _set_connections(url: str, allowed: bool) -> None:
    """As the superuser, from the maintenance database: refuse (and cut) or allow the event database's connections."""
    event_db = make_url(url).database
    admin = sa.create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"ALTER DATABASE {event_db} ALLOW_CONNECTIONS {'true' if allowed else 'false'}"))
        if not allowed:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": event_db})
    admin.dispose()


@ON_POSTGRES
def test_the_api_answers_503_with_retry_after_while_the_database_is_gone(server, db_url):
    client = player(server, "ada")
    assert client.get("/api/v1/challenges").status_code == 200
    _set_connections(db_url, allowed=False)
    try:
        down = client.get("/api/v1/challenges")
        assert down.status_code == 503, down.text
        assert down.headers["retry-after"] == "5"
        assert down.json()["detail"] == "the database is unavailable right now; try again in a few seconds"
    finally:
        _set_connections(db_url, allowed=True)
    assert client.get("/api/v1/challenges").status_code == 200
