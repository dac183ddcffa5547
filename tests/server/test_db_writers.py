"""SQLite write transactions of one process queue on the engine's lock (``db._Writer``): every concurrent writer
commits, none is lost, and a transaction that fails or is abandoned gives the lock back."""

import threading

from sqlalchemy import text

from interpctf.server.db import Database


def _db(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with db.write() as s:
        s.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        s.execute(text("INSERT INTO counter VALUES (1, 0)"))
    return db


def test_concurrent_writers_of_one_process_all_commit(tmp_path):
    db = _db(tmp_path)
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        try:
            for _ in range(times):
                with db.write() as s:  # read-modify-write: a lost update would show in the total
                    n = s.execute(text("SELECT n FROM counter WHERE id = 1")).scalar()
                    s.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=bump, args=(25,)) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.read() as s:
        assert s.execute(text("SELECT n FROM counter")).scalar() == 24 * 25
    db.dispose()


def test_a_failed_or_abandoned_transaction_gives_the_lock_back(tmp_path):
    db = _db(tmp_path)
    try:
        with db.write() as s:
            s.execute(text("UPDATE counter SET n = 5"))
            raise RuntimeError("the route failed")
    except RuntimeError:
        pass
    session = db._write()
    session.execute(text("UPDATE counter SET n = 6"))
    session.close()  # neither committed nor rolled back by hand: the pool's reset rolls it back
    with db.write() as s:  # would wait for the lock (and fail after the busy timeout) had either leaked it
        s.execute(text("UPDATE counter SET n = n + 1"))
    with db.read() as s:
        assert s.execute(text("SELECT n FROM counter")).scalar() == 1
    db.dispose()
