"""Engines and sessions. SQLite runs in WAL mode; write transactions there begin IMMEDIATE so that concurrent
writers queue instead of failing (the threads of one process on a lock of their own, see :class:`_Writer`;
processes on SQLite's busy timeout); PostgreSQL uses plain READ COMMITTED transactions (our conditional UPDATEs
re-check their predicate after a lock wait)."""

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from interpctf.errors import InterpctfError


BUSY_SECONDS = 30.0


class _Writer(sqlite3.Connection):
    """A write connection whose transactions take the engine's lock from ``BEGIN IMMEDIATE`` to the commit or
    rollback. SQLite has one writer at a time; without this, the threads of a busy web process wait on SQLite's
    busy handler, which sleeps 1 to 100 ms between tries and lets newcomers overtake (measured with 64 answers in
    flight: BEGIN IMMEDIATE waited 3 ms at the median, 431 ms at p95, 3.6 s at most). On the lock a waiting thread
    is woken as soon as the writer before it is done. Other processes still queue on the busy timeout."""

    lock: threading.Lock  # one per engine (set on the subclass made for it)

    def begin_immediate(self) -> None:
        if not self.lock.acquire(timeout=BUSY_SECONDS):
            raise sqlite3.OperationalError("database is locked")
        self._held = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if getattr(self, "_held", False):
            self._held = False
            self.lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()


# (pool_size, max_overflow) of each engine; SQLite has one engine for reads and one for writes
SQLITE_POOL = (16, 16)
POSTGRES_POOL = (10, 20)


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    args: dict = {"check_same_thread": False, "timeout": BUSY_SECONDS}
    if immediate:
        args["factory"] = type("Writer", (_Writer,), {"lock": threading.Lock()})
    engine = create_engine(url, connect_args=args, pool_size=SQLITE_POOL[0], max_overflow=SQLITE_POOL[1])

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        if immediate:
            conn.connection.dbapi_connection.begin_immediate()
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


class Database:
    """``read()`` for queries, ``write()`` for changes; both are sessions committed on success."""

    def __init__(self, url: str):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(url, immediate=False)
            self.write_engine = _sqlite_engine(url, immediate=True)
        else:
            try:
                self.engine = create_engine(url, pool_size=POSTGRES_POOL[0], max_overflow=POSTGRES_POOL[1],
                                            pool_pre_ping=True)
            except Exception as exc:  # bad URL or missing driver
                raise InterpctfError(f"cannot use database {url!r}: {exc}") from None
            self.write_engine = self.engine
        # Requests that may use the database at once (the rest wait on the event loop, holding neither a thread nor a
        # connection): with a connection per engine and request, the pools can never all be held by requests that
        # wait for a thread while the threads wait for a connection. The margin is for the grading worker, the
        # board refresher and league jobs.
        # On PostgreSQL one pool serves a request's read and write sessions (two connections at most).
        capacity = sum(SQLITE_POOL if self.is_sqlite else POSTGRES_POOL)
        self.request_slots = max(1, capacity * 3 // 4 if self.is_sqlite else capacity // 2 - capacity // 10)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._write() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def insert(self, table):
        """A dialect INSERT supporting ``on_conflict_do_nothing`` (SQLite and PostgreSQL)."""
        return (sqlite.insert if self.is_sqlite else postgresql.insert)(table)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


def migrate(url: str) -> None:
    """Bring the database schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
