"""The grading queue: submissions are rows with ``status='queued'``; workers claim them atomically, grade them
through the executor, and store the grade with a conditional UPDATE, so each accepted submission is graded
exactly once, across crashes and restarts:

- claim: ``UPDATE ... SET status='grading', claimed_by=me WHERE id=? AND status='queued'`` (one winner);
- store: ``UPDATE ... SET status='graded', ... WHERE id=? AND status='grading' AND claimed_by=me``;
- a worker heartbeats; claims held by a worker silent for ``worker_stale_seconds`` go back to ``queued``
  (a late result from a worker presumed dead is then discarded by the store condition);
- the database may go away (a PostgreSQL restart): a grade that could not be stored is kept and stored again
  until it lands, and a claim the worker holds without grading it (its commit's answer was lost) goes back to
  ``queued`` at the next heartbeat.

Run inside ``interpctf serve`` (default) or on its own: ``interpctf grading-worker``.
"""

import logging
import sys
import threading
import time
import uuid
from concurrent.futures import Future
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, true, update

from interpctf.server.config import Settings
from interpctf.server.db import Database
from interpctf.server.grade_job import grade_job
from interpctf.server.models import Event, Submission, Variant, Worker, utcnow

log = logging.getLogger("interpctf.server.grading")
HEARTBEAT_SECONDS = 1.0


def bump_board(session) -> None:
    session.execute(update(Event).values(board_version=Event.board_version + 1))


def requeue_stale(db: Database, stale_seconds: float) -> int:
    """Put back claims of workers presumed dead (stale heartbeat, or no worker row at all)."""
    cutoff = utcnow() - timedelta(seconds=stale_seconds)
    with db.write() as s:
        alive = select(Worker.id).where(Worker.heartbeat_at >= cutoff)
        result = s.execute(update(Submission)
                           .where(Submission.status == "grading", Submission.claimed_by.not_in(alive))
                           .values(status="queued", claimed_by=None))
        return result.rowcount or 0


class GradingWorker:
    def __init__(self, settings: Settings, db: Database, executor=None):
        self.settings = settings
        self.db = db
        self.id = f"w-{uuid.uuid4().hex[:16]}"
        self.data_dir = Path(settings.data_dir).resolve()
        self._executor = executor
        self._owns_executor = executor is None
        self._slots = threading.Semaphore(max(1, settings.grading_workers))
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inflight: set[int] = set()
        self._unstored: dict[int, dict] = {}  # graded, but the database refused the store: retried every loop
        self._lock = threading.Lock()
        self._last_beat = 0.0
        self.on_change = None  # called after a grade is stored (the web process invalidates its board cache)

    # lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> "GradingWorker":
        if self._executor is None:
            from interpctf.executor import get_executor
            self._executor = get_executor(self.settings.executor, max_workers=self.settings.grading_workers)
        self._heartbeat()
        self._thread = threading.Thread(target=self._loop, name="grading-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._owns_executor and self._executor is not None:
            self._executor.shutdown(wait=wait)
        with self.db.write() as s:
            s.execute(update(Worker).where(Worker.id == self.id).values(heartbeat_at=utcnow() - timedelta(days=1)))

    def wake(self) -> None:
        self._wake.set()

    def idle(self) -> bool:
        with self._lock:
            return not self._inflight and not self._unstored

    # the loop --------------------------------------------------------------------------------------------
    def _heartbeat(self) -> None:
        with self.db.write() as s:
            s.execute(self.db.insert(Worker).values(id=self.id, heartbeat_at=utcnow()).on_conflict_do_nothing())
            s.execute(update(Worker).where(Worker.id == self.id).values(heartbeat_at=utcnow()))
            with self._lock:
                held = set(self._inflight) | set(self._unstored)
            # Claims of ours that nothing here is grading: the claim committed but its answer never reached us.
            s.execute(update(Submission).where(Submission.status == "grading", Submission.claimed_by == self.id,
                                               Submission.id.not_in(held) if held else true())
                      .values(status="queued", claimed_by=None))
        self._last_beat = time.monotonic()

    def _beat_due(self) -> bool:
        return time.monotonic() - self._last_beat > HEARTBEAT_SECONDS

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self._beat_due():
                    self._heartbeat()
                    requeue_stale(self.db, self.settings.worker_stale_seconds)
                self._store_unstored()
                if not self._dispatch_some():
                    self._wake.wait(0.5)
                    self._wake.clear()
            except Exception:  # a database hiccup must not kill the worker; retry shortly
                log.exception("grading worker loop error")
                time.sleep(1.0)

    def _dispatch_some(self) -> bool:
        dispatched = False
        # Leave for the heartbeat when due: a long backlog must not make this worker look dead to the others.
        while not self._stop.is_set() and not self._beat_due() and self._slots.acquire(timeout=0.05):
            try:
                job = self._claim()
            except Exception:  # the database went away: give the slot back, or the worker starves itself
                self._slots.release()
                raise
            if job is None:
                self._slots.release()
                break
            dispatched = True
            sub_id, args = job
            with self._lock:
                self._inflight.add(sub_id)
            try:
                future = self._executor.submit(grade_job, *args, self.settings.grade_delay_seconds)
            except Exception as exc:
                future = Future()
                future.set_result({"error": f"could not start grading: {exc}"})
            future.add_done_callback(lambda f, sid=sub_id: self._finish(sid, f))
        return dispatched

    def _claim(self):
        with self.db.write() as s:
            row = s.execute(select(Submission.id, Submission.challenge_id, Submission.variant)
                            .where(Submission.status == "queued").order_by(Submission.id).limit(1)).first()
            if row is None:
                return None
            claimed = s.execute(update(Submission).where(Submission.id == row.id, Submission.status == "queued")
                                .values(status="grading", claimed_by=self.id)).rowcount
            if claimed != 1:
                return None
            variant = s.scalar(select(Variant).where(Variant.challenge_id == row.challenge_id,
                                                     Variant.number == row.variant))
            sub = s.get(Submission, row.id)
            return row.id, (str(self.data_dir / variant.bundle_path), str(self.data_dir / variant.key_path),
                            sub.filename, sub.data)

    def _finish(self, sub_id: int, future: Future) -> None:
        try:
            result = future.result()
        except Exception as exc:
            result = {"error": f"grading crashed: {type(exc).__name__}: {exc}"}
        try:
            self.store(sub_id, result)
        except Exception as exc:
            log.warning("could not store the grade of submission %s (%s); retrying", sub_id, type(exc).__name__)
            with self._lock:
                self._unstored[sub_id] = result
        finally:
            with self._lock:
                self._inflight.discard(sub_id)
            self._slots.release()
            self._wake.set()

    def _store_unstored(self) -> None:
        with self._lock:
            pending = list(self._unstored.items())
        for sub_id, result in pending:
            self.store(sub_id, result)  # raises while the database is still away: the loop waits and retries
            with self._lock:
                self._unstored.pop(sub_id, None)

    def store(self, sub_id: int, result: dict) -> bool:
        """Store a grade if we still hold the claim; True if stored."""
        now = utcnow()
        if "grade" in result:
            g = result["grade"]
            details = dict(g.get("details") or {})
            values = dict(status="graded", score=g["score"], solved=g["solved"],
                          public_score=float(details.get("public_score", g["score"])),
                          public_solved=bool(details.get("public_solved", g["solved"])), details=details)
        else:
            values = dict(status="failed", score=0.0, solved=False, public_score=0.0, public_solved=False,
                          details={"error": result.get("error", "unknown grading failure")})
        with self.db.write() as s:
            stored = s.execute(update(Submission)
                               .where(Submission.id == sub_id, Submission.status == "grading",
                                      Submission.claimed_by == self.id)
                               .values(graded_at=now, claimed_by=None, grade_count=Submission.grade_count + 1,
                                       **values)).rowcount == 1
            if stored:
                bump_board(s)
        if stored and self.on_change is not None:
            self.on_change()
        return stored

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until nothing is queued or grading (tests, the demo)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.wake()
            with self.db.read() as s:
                pending = s.scalar(select(Submission.id).where(Submission.status.in_(("queued", "grading")))
                                   .limit(1))
            if pending is None:
                return True
            time.sleep(0.05)
        return False


def run_worker(settings: Settings) -> None:
    """Run a standalone grading worker until interrupted (Ctrl-C or SIGTERM: its claims are given back)."""
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that ``finally`` runs on a service stop too
    db = Database(settings.url())
    worker = GradingWorker(settings, db).start()
    try:
        while True:
            time.sleep(3600)
    finally:
        worker.stop(wait=False)


if __name__ == "__main__":  # settings from INTERPCTF_* variables, e.g. INTERPCTF_DATA_DIR
    logging.basicConfig(level=logging.WARNING)
    run_worker(Settings.from_env())
