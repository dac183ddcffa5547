"""Rate limits as fixed one-minute windows counted in the database with an atomic conditional UPDATE, so they
hold across threads, processes and server instances sharing the database."""

import time

from sqlalchemy import delete, text

from interpctf.server.models import RateBucket


_HIT = text("INSERT INTO rate_buckets (key, \"window\", count) VALUES (:key, :window, 1) "
             "ON CONFLICT (key, \"window\") DO UPDATE SET count = rate_buckets.count + 1 "
             "WHERE rate_buckets.count < :limit")


def hit(db, session, key: str, limit: int, now: float | None = None) -> bool:
    """Count one event under ``key``; False (and nothing counted) when the window already holds ``limit``.
    One atomic upsert (SQLite >= 3.24 and PostgreSQL share the syntax)."""
    window = int((now if now is not None else time.time()) // 60)
    return session.execute(_HIT, {"key": key, "window": window, "limit": limit}).rowcount == 1


def full(session, key: str, limit: int, now: float | None = None) -> bool:
    """True when the current window already holds ``limit`` events under ``key`` (a read: no lock taken)."""
    window = int((now if now is not None else time.time()) // 60)
    return (session.execute(_COUNT, {"key": key, "window": window}).scalar() or 0) >= limit


_COUNT = text("SELECT count FROM rate_buckets WHERE key = :key AND \"window\" = :window")


def sweep(session, now: float | None = None) -> None:
    """Forget windows older than the current minute."""
    window = int((now if now is not None else time.time()) // 60)
    session.execute(delete(RateBucket).where(RateBucket.window < window - 1))


def client_address(request) -> str:
    return request.client.host if request.client else "unknown"
