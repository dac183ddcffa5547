"""The runs store: every run, its config, metrics and provenance, in SQLite (stdlib sqlite3, WAL mode so parallel
sweep workers can write while a leaderboard reads).

Test metrics live in their own column and are written once, by ``submit``; nothing else writes them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from interpctf.errors import InterpctfError

DEFAULT_DIR = Path(".interpctf/lab")
ENV_VAR = "INTERPCTF_LAB_DIR"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task TEXT NOT NULL,
    config TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    seed INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    score REAL,
    score_note TEXT,
    stopped TEXT,
    steps INTEGER NOT NULL,
    duration_s REAL NOT NULL,
    package_version TEXT NOT NULL,
    git_commit TEXT,
    artifacts_path TEXT NOT NULL,
    created_at REAL NOT NULL,
    test_metrics TEXT,
    test_score REAL,
    submitted_at REAL,
    failure TEXT,
    board TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_task ON runs(task);
"""


class UnknownRun(InterpctfError):
    pass


def board_name(task_options: dict[str, Any] | None) -> str:
    """The leaderboard a run with these task options belongs to: '' for none, else their canonical JSON."""
    options = {k: v for k, v in (task_options or {}).items() if v is not None}
    return json.dumps(options, sort_keys=True, separators=(",", ":")) if options else ""


def runs_dir(path: str | Path | None = None) -> Path:
    """``path``, else $INTERPCTF_LAB_DIR, else ./.interpctf/lab."""
    return Path(path or os.environ.get(ENV_VAR) or DEFAULT_DIR)


@dataclass
class RunRecord:
    id: int
    task: str
    config: dict[str, Any]
    config_hash: str
    seed: int
    metrics: dict[str, float]
    score: float | None
    score_note: str | None
    stopped: str | None
    steps: int
    duration_s: float
    package_version: str
    git_commit: str | None
    artifacts_path: str
    created_at: float
    test_metrics: dict[str, float] | None
    test_score: float | None
    submitted_at: float | None
    failure: str | None = None  # why a run failed (it then has no artifacts and is on no leaderboard)
    # The task's own options as canonical JSON ('' for the task as shipped). Runs on different options (sae-lm on
    # another model or site) are scored differently and never share a leaderboard.
    board: str = ""
    # Who made the run (see Participant); 'cli' with no name for a run made outside a session.
    participant: str | None = None
    participant_kind: str = "cli"
    session_id: str | None = None
    session_elapsed_s: float | None = None  # wall time from the session's start to the run's result
    session_experiment: int | None = None  # the run's number among its session's experiments, from 1

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "RunRecord":
        d = dict(row)
        for key in ("config", "metrics", "test_metrics"):
            d[key] = json.loads(d[key]) if d[key] is not None else None
        return cls(**d)


@dataclass(frozen=True)
class Participant:
    """Who made a run: a person in a ``lab session`` ('human'), an agent ('agent', ``name`` the model's), or a plain
    command ('cli'); ``elapsed_s`` and ``experiment`` place the run in its session, as humans vs agents compare it."""

    name: str
    kind: str  # 'human' | 'agent' | 'cli'
    session_id: str | None
    elapsed_s: float | None
    experiment: int | None


_PARTICIPANT_COLUMNS = (("participant", "TEXT"), ("participant_kind", "TEXT NOT NULL DEFAULT 'cli'"),
                        ("session_id", "TEXT"), ("session_elapsed_s", "REAL"), ("session_experiment", "INTEGER"))


def _add_participant_columns(db: sqlite3.Connection) -> None:
    """Who made each run: columns added to a store from before them, whose runs read as 'cli' with no name."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
    for name, decl in _PARTICIPANT_COLUMNS:
        if name not in columns:
            db.execute(f"ALTER TABLE runs ADD COLUMN {name} {decl}")
    db.execute("CREATE INDEX IF NOT EXISTS runs_session ON runs(session_id)")


class RunStore:
    def __init__(self, root: str | Path | None = None):
        self.root = runs_dir(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / "runs.sqlite"
        self._use_wal()
        with self._connect() as db:
            db.executescript(_SCHEMA)
            columns = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
            if "failure" not in columns:  # a store from before failed runs were recorded
                db.execute("ALTER TABLE runs ADD COLUMN failure TEXT")
            if "board" not in columns:  # a store from before task options
                db.execute("ALTER TABLE runs ADD COLUMN board TEXT NOT NULL DEFAULT ''")
            _add_participant_columns(db)

    def _use_wal(self) -> None:
        """Switch the file to WAL once. Switching takes an exclusive lock that ignores the busy timeout, so
        sweep workers opening the store together retry instead of failing with 'database is locked'."""
        for attempt in range(200):
            db = sqlite3.connect(self.path, timeout=30)
            try:
                if db.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                    return
                db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError:
                time.sleep(0.05)
            finally:
                db.close()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:  # one transaction, committed on success
                yield db
        finally:
            db.close()

    def artifacts_dir(self, run_id: int) -> Path:
        return self.root / "artifacts" / f"run-{run_id:05d}"

    def reserve(self, task: str, config: dict[str, Any], config_hash: str, seed: int, version: str,
                git_commit: str | None, board: str = "") -> int:
        """Insert a placeholder row to get the run's id before its artifacts are written."""
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO runs (task, config, config_hash, seed, metrics, steps, duration_s, package_version,"
                " git_commit, artifacts_path, created_at, board)"
                " VALUES (?, ?, ?, ?, '{}', 0, 0, ?, ?, '', ?, ?)",
                (task, json.dumps(config, sort_keys=True), config_hash, seed, version, git_commit, time.time(),
                 board))
            return int(cur.lastrowid)

    def complete(self, run_id: int, *, metrics: dict[str, float], score: float | None, score_note: str | None,
                 stopped: str | None, steps: int, duration_s: float, artifacts_path: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE runs SET metrics=?, score=?, score_note=?, stopped=?, steps=?, duration_s=?,"
                       " artifacts_path=? WHERE id=?",
                       (json.dumps(metrics), score, score_note, stopped, steps, duration_s, artifacts_path, run_id))

    def fail(self, run_id: int, reason: str, duration_s: float = 0.0) -> None:
        """Record a reserved run as failed: it keeps its config and the one-line reason, and no artifacts."""
        with self._connect() as db:
            db.execute("UPDATE runs SET failure=?, duration_s=? WHERE id=? AND artifacts_path=''",
                       (reason[:500], duration_s, run_id))

    def failed(self, task: str | None = None, board: str | None = "") -> list[RunRecord]:
        """Failed runs, newest first (of ``board``; None: of every board)."""
        query, args = self._where("failure IS NOT NULL", task, board)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id DESC", args).fetchall()
        return [RunRecord.from_row(r) for r in rows]

    @staticmethod
    def _where(condition: str, task: str | None, board: str | None) -> tuple[str, tuple]:
        query, args = f"SELECT * FROM runs WHERE {condition}", ()
        if task:
            query, args = query + " AND task=?", (*args, task)
        if board is not None:
            query, args = query + " AND board=?", (*args, board)
        return query, args

    def delete(self, run_id: int) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM runs WHERE id=?", (run_id,))

    def set_test(self, run_id: int, metrics: dict[str, float], score: float | None) -> bool:
        """Store test metrics unless some are already stored; True when this call stored them."""
        with self._connect() as db:
            cur = db.execute("UPDATE runs SET test_metrics=?, test_score=?, submitted_at=? "
                             "WHERE id=? AND test_metrics IS NULL",
                             (json.dumps(metrics), score, time.time(), run_id))
            return cur.rowcount == 1

    def get(self, run_id: int) -> RunRecord:
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise UnknownRun(f"no run {run_id} in {self.path}; list runs with `interpctf lab runs TASK`")
        return RunRecord.from_row(row)

    def list(self, task: str | None = None, board: str | None = "") -> list[RunRecord]:
        """Completed runs, best validation score first: by default those of the tasks as shipped (``board`` ''),
        one leaderboard per task and options; ``board=None`` lists every board."""
        query, args = self._where("artifacts_path != ''", task, board)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY score IS NULL, score DESC, id", args).fetchall()
        return [RunRecord.from_row(r) for r in rows]

    def set_participant(self, run_id: int, who: Participant) -> None:
        with self._connect() as db:
            db.execute("UPDATE runs SET participant=?, participant_kind=?, session_id=?, session_elapsed_s=?,"
                       " session_experiment=? WHERE id=?",
                       (who.name, who.kind, who.session_id, who.elapsed_s, who.experiment, run_id))

    def session_runs(self, session_id: str) -> list[RunRecord]:
        """A session's runs, completed, failed and in progress, in the order they started."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs WHERE session_id=? ORDER BY id", (session_id,)).fetchall()
        return [RunRecord.from_row(r) for r in rows]

    def participant_runs(self, task: str, board: str = "") -> list[RunRecord]:
        """Every finished run of ``task`` (and ``board``) made in a session, completed or failed, oldest first."""
        query, args = self._where("session_id IS NOT NULL AND (artifacts_path != '' OR failure IS NOT NULL)",
                                  task, board)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id", args).fetchall()
        return [RunRecord.from_row(r) for r in rows]
