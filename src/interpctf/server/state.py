"""The server's shared state: settings, database, challenge files, the grading worker, the board cache."""

import asyncio
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select

from interpctf.bundle import open_challenge
from interpctf.server.config import Settings
from interpctf.server.db import Database
from interpctf.server.errors import ApiError
from interpctf.server.models import Event, Variant, utcnow


@dataclass
class ServerState:
    settings: Settings
    db: Database
    worker: object | None = None  # GradingWorker when grading runs in-process
    board_cache: dict = field(default_factory=dict)
    board_lock: threading.Lock = field(default_factory=threading.Lock)
    board_compute_lock: threading.Lock = field(default_factory=threading.Lock)  # one board computation at a time
    board_refresher: object | None = None  # scoreboard.BoardRefresher, started by the first board request
    # per event loop: a semaphore belongs to the loop it first waits on (tests run several clients, each its loop)
    _db_slots: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary)

    @property
    def db_slots(self) -> asyncio.Semaphore:
        """Admission of requests to the database (``Database.request_slots`` at once), taken on the event loop."""
        loop = asyncio.get_running_loop()
        slots = self._db_slots.get(loop)
        if slots is None:
            slots = self._db_slots[loop] = asyncio.Semaphore(self.db.request_slots)
        return slots

    _memo: dict = field(default_factory=dict)

    def cached(self, key, load):
        """Rows that change only by administration (event window, challenges, variants), kept for
        ``settings.cache_seconds`` so that the hot paths (intake) skip their queries."""
        ttl = self.settings.cache_seconds
        if ttl <= 0:
            return load()
        hit = self._memo.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < ttl:
            return hit[1]
        value = load()
        self._memo[key] = (now, value)
        return value

    def invalidate_board(self) -> None:
        """Something in this process changed the standings: have the refresher look now."""
        if self.board_refresher is not None:
            self.board_refresher.changed()

    @property
    def data_dir(self) -> Path:
        return Path(self.settings.data_dir).resolve()

    def event(self, session) -> Event:
        event = session.get(Event, 1)
        if event is None:
            raise ApiError(503, "no event in this database; create one with 'interpctf event create EVENT.yaml'")
        return event

    def public_challenge(self, variant: Variant):
        """The public view of a variant (manifest only), for validating answers at intake."""
        return _public(str(self.data_dir / variant.bundle_path))

    def wake_worker(self) -> None:
        if self.worker is not None:
            self.worker.wake()


@lru_cache(maxsize=256)
def _public(bundle_dir: str):
    return open_challenge(Path(bundle_dir))


def phase(event, now: datetime | None = None) -> str:
    """``upcoming``, ``running``, ``frozen`` (running, after the freeze) or ``ended``."""
    now = now or utcnow()
    if now < event.starts_at:
        return "upcoming"
    if now >= event.ends_at:
        return "ended"
    if event.freeze_at is not None and now >= event.freeze_at:
        return "frozen"
    return "running"


def variants_of(session, challenge_id: int) -> list[Variant]:
    return list(session.scalars(select(Variant).where(Variant.challenge_id == challenge_id)
                                .order_by(Variant.number)))


def variant_for(session, challenge_id: int, team_id: int | None) -> Variant:
    """Each team gets one variant of a challenge with variants, spread evenly by team id."""
    variants = variants_of(session, challenge_id)
    if not variants:
        raise ApiError(500, "challenge has no files")
    return variants[((team_id or 1) - 1) % len(variants)]
