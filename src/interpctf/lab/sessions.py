"""Lab sessions: a person works on a task with a wall-clock budget, through the same commands an agent uses.

``interpctf lab session start TASK --budget 2h`` opens one; while it is active, ``lab run`` and ``lab submit`` on the
task record each run as the session's (a human's, with the wall time since the start and the experiment's number),
cap each run's time budget at what the session has left, and refuse to start once the budget is spent. One session
is active per lab store at a time. Sessions live in ``sessions.sqlite`` beside the runs store, so ``report compare``
can put a person's runs next to an agent's on the same task and budget.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Literal

from pydantic import BaseModel

from interpctf.errors import InterpctfError
from interpctf.lab.store import Participant, RunRecord, RunStore, runs_dir

MAX_BUDGET_S = 7 * 24 * 3600.0
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0}
_BUDGET = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    participant TEXT NOT NULL,
    participant_kind TEXT NOT NULL,
    task TEXT NOT NULL,
    budget_s REAL NOT NULL,
    started_at REAL NOT NULL,
    stopped_at REAL
)
"""


class SessionError(InterpctfError):
    pass


def parse_budget(text: str) -> float:
    """'2h', '90m', '1h30m', '45s' or a bare number of seconds -> seconds (positive, at most a week)."""
    raw = text.strip().lower()
    match = _BUDGET.fullmatch(raw)
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        seconds = float(raw)
    elif raw and match and any(match.groups()):
        seconds = sum(float(v) * _UNIT_S[u] for v, u in zip(match.groups(), "hms") if v)
    else:
        raise SessionError(f"--budget: {text!r} is not a duration; write e.g. 2h, 90m, 1h30m or 45s")
    if not 0 < seconds <= MAX_BUDGET_S:
        raise SessionError(f"--budget: {text!r} must be more than 0 s and at most 7 days")
    return seconds


def format_duration(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


class LabSession(BaseModel):
    id: str
    participant: str
    participant_kind: Literal["human", "agent"]
    task: str
    budget_s: float
    started_at: float
    stopped_at: float | None = None

    def elapsed(self, now: float | None = None) -> float:
        end = self.stopped_at if self.stopped_at is not None else (time.time() if now is None else now)
        return end - self.started_at

    def remaining(self, now: float | None = None) -> float:
        return self.budget_s - self.elapsed(now)


class SessionStore:
    def __init__(self, root: str | Path | None = None):
        self.root = runs_dir(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / "sessions.sqlite"
        with self._connect() as db:
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("BEGIN IMMEDIATE")  # the write lock from the first read: a check and its write are atomic
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def start(self, task: str, budget_s: float, participant: str, kind: str = "human",
              now: float | None = None) -> LabSession:
        """Open a session; refused while another is active (the check and the insert are one transaction)."""
        from interpctf.lab.tasks import task_class

        task_class(task)  # an unknown task fails here, naming the known ones
        session = LabSession(id=secrets.token_hex(4), participant=participant, participant_kind=kind, task=task,
                             budget_s=budget_s, started_at=time.time() if now is None else now)
        with self._connect() as db:
            row = db.execute("SELECT * FROM sessions WHERE stopped_at IS NULL").fetchone()
            if row is not None:
                other = LabSession(**dict(row))
                raise SessionError(f"session {other.id} ({other.participant} on {other.task}) is active; "
                                   "stop it first with `interpctf lab session stop`")
            db.execute("INSERT INTO sessions VALUES (:id, :participant, :participant_kind, :task, :budget_s,"
                       " :started_at, :stopped_at)", session.model_dump())
        return session

    def active(self) -> LabSession | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM sessions WHERE stopped_at IS NULL").fetchone()
        return LabSession(**dict(row)) if row is not None else None

    def get(self, session_id: str) -> LabSession:
        with self._connect() as db:
            row = db.execute("SELECT * FROM sessions WHERE id=?", (session_id,)).fetchone()
        if row is None:
            raise SessionError(f"no lab session {session_id!r} in {self.path}")
        return LabSession(**dict(row))

    def stop(self, now: float | None = None) -> LabSession:
        session = self.active()
        if session is None:
            raise SessionError("no lab session is active; start one with `interpctf lab session start TASK`")
        with self._connect() as db:
            db.execute("UPDATE sessions SET stopped_at=? WHERE id=?", (time.time() if now is None else now,
                                                                      session.id))
        return self.get(session.id)


def _check_budget(session: LabSession, now: float) -> None:
    if session.remaining(now) <= 0:
        raise SessionError(f"session {session.id}'s budget of {format_duration(session.budget_s)} is spent "
                           f"({format_duration(session.elapsed(now))} used); runs past the budget are refused — "
                           "stop it with `interpctf lab session stop`")


def participant_for_run(session: LabSession, store: RunStore, task: str, now: float | None = None) -> Participant:
    """Who a run started now in ``session`` is, or an error: another task, or a spent budget."""
    now = time.time() if now is None else now
    if task != session.task:
        raise SessionError(f"session {session.id} is on {session.task}, not {task}; "
                           "stop it with `interpctf lab session stop` to run other tasks")
    _check_budget(session, now)
    return Participant(name=session.participant, kind=session.participant_kind, session_id=session.id,
                       elapsed_s=session.elapsed(now), experiment=len(store.session_runs(session.id)) + 1)


def check_submit(session: LabSession, run: RunRecord, now: float | None = None) -> None:
    """A submission inside a session: one of its own runs, before the budget is spent."""
    if run.session_id != session.id:
        raise SessionError(f"run {run.id} is not one of session {session.id}'s runs; submit the session's own runs")
    _check_budget(session, time.time() if now is None else now)
