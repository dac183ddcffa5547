"""The scoreboard: gathers facts from the database, asks :mod:`interpctf.rules` for standings, caches the result
until a grade lands (``Event.board_version``) or the phase changes (freeze, end).

During a live event the board is recomputed off the request path (:class:`BoardRefresher`) and requests are
served the last complete board, within a bound on its lag (``board_lag_seconds``); why recomputing rather than
updating standings per grade is said in that class.

While the event runs the board uses the public probe split; after the end, the private split (final standings).
While frozen, everyone but admins sees the board as it was at the freeze time (solves after it, and their counts,
stay hidden until the end).
"""

import gzip
import json
import threading
import time
from datetime import datetime

from sqlalchemy import func, select

from interpctf.rules import Attempt, AwardItem, EventRules, ValueRule, compute_standings, score_series
from interpctf.rules.standings import solve_times, visible_attempts
from interpctf.server.models import Award, Challenge, Event, Submission, Team, User
from interpctf.server.state import ServerState, phase


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() + "Z" if t else None


def gather(session, event, final: bool, freeze: datetime | None):
    chals = session.execute(select(Challenge.id, Challenge.slug, Challenge.title, Challenge.value)
                            .where(Challenge.hidden.is_(False)).order_by(Challenge.position)).all()
    score_col, solved_col = ((Submission.score, Submission.solved) if final
                             else (Submission.public_score, Submission.public_solved))
    rows = session.execute(select(Submission.team_id, Submission.challenge_id, score_col, solved_col,
                                  Submission.created_at).where(Submission.status == "graded")).all()
    attempts = [Attempt(team=r[0], challenge=r[1], score=float(r[2] or 0.0), solved=bool(r[3]), at=r[4])
                for r in rows]
    awards = [AwardItem(team=a.team_id, value=a.value, at=a.created_at) for a in session.scalars(select(Award))]
    if freeze is not None:
        attempts = visible_attempts(attempts, freeze)
        awards = [a for a in awards if a.at < freeze]
    teams = session.execute(select(Team.id, Team.name).where(Team.hidden.is_(False))).all()
    kinds: dict[int, set[str]] = {}
    for team_id, account_type in session.execute(select(User.team_id, User.account_type)
                                                 .where(User.team_id.is_not(None))):
        kinds.setdefault(team_id, set()).add(account_type)
    teams = [t for t in teams if t.id in kinds]
    return chals, attempts, awards, teams, kinds


def build_board(state: ServerState, session, admin: bool = False, top: int = 10) -> dict:
    return _cached(state, session, admin, top)[0]


def board_bytes(state: ServerState, session, admin: bool = False, gzipped: bool = False) -> bytes:
    """The board serialized (and gzipped) once per version."""
    entry = _cached(state, session, admin, 10)
    return entry[2] if gzipped else entry[1]


def board_bytes_fast(state: ServerState, admin: bool, gzipped: bool) -> bytes | None:
    """The last complete board without touching the database, when it reflects every grade stored more than
    ``board_lag_seconds`` ago and the event's phase is still the one it was computed for; None otherwise."""
    refresher = _refresher(state)
    if refresher is None:
        return None
    latest = refresher.latest()
    if latest is None:
        return None
    key, meta, entry, _ = latest
    if _key(meta, admin, 10)[1:] != key[1:]:
        return None
    return entry[2] if gzipped else entry[1]


def _key(meta, admin: bool, top: int) -> tuple:
    version, starts_at, ends_at, freeze_at = meta
    now_phase = phase(_Window(starts_at, ends_at, freeze_at))
    return (version, now_phase, now_phase == "frozen" and not admin, top)


class _Window:
    def __init__(self, starts_at, ends_at, freeze_at):
        self.starts_at, self.ends_at, self.freeze_at = starts_at, ends_at, freeze_at


def _read_meta(session) -> tuple | None:
    row = session.execute(select(Event.board_version, Event.starts_at, Event.ends_at, Event.freeze_at)
                          .where(Event.id == 1)).first()
    return None if row is None else tuple(row)


def _render(board: dict) -> tuple[dict, bytes, bytes]:
    body = json.dumps(board, separators=(",", ":")).encode()
    return board, body, gzip.compress(body, compresslevel=5)


def _cached(state: ServerState, session, admin: bool, top: int) -> tuple[dict, bytes, bytes]:
    checked = time.monotonic()
    meta = _read_meta(session)
    if meta is None:
        state.event(session)  # raises the clear "no event" error
    key = _key(meta, admin, top)
    with state.board_lock:
        cached = state.board_cache.get(key)
    if cached is None:
        refresher = _refresher(state)
        latest = refresher.latest() if refresher is not None and top == 10 else None
        if latest is not None and latest[0][1:] == key[1:]:
            return latest[2]  # the next version is being computed off the request path
        with state.board_compute_lock:  # one computation at a time; the others wait and reuse it
            with state.board_lock:
                cached = state.board_cache.get(key)
            if cached is None:
                cached = _render(compute_board(session, state.event(session), key[1], key[2], top))
                _install(state, key, cached)
                if refresher is not None and key[2:] == (False, 10):
                    refresher.offer(meta, key, cached, checked)
    return cached


def _install(state: ServerState, key: tuple, entry: tuple) -> None:
    with state.board_lock:
        if any(k[0] != key[0] for k in state.board_cache):
            state.board_cache.clear()
        state.board_cache[key] = entry


def _refresher(state: ServerState) -> "BoardRefresher | None":
    """The process's refresher, started on the first board request; None where the board is computed on the
    request path (``board_poll_seconds`` or ``board_lag_seconds`` 0: tests that read their own grades at once)."""
    settings = state.settings
    if settings.board_poll_seconds <= 0 or settings.board_lag_seconds <= 0:
        return None
    refresher = state.board_refresher
    if refresher is None:
        with state.board_lock:
            if state.board_refresher is None:
                state.board_refresher = BoardRefresher(state)
            refresher = state.board_refresher
    refresher.wanted()
    return refresher


class BoardRefresher:
    """Recomputes the public board (everyone's view, top 10) in a background thread whenever the board version
    changes, and keeps the last complete one for requests to serve.

    Why recompute rather than update standings per grade: with dynamic values one solve re-prices the challenge
    for every team that solved it, first blood, freezes, hint costs, awards, hidden teams and admin re-grades all
    move standings too, and several processes store grades; the pure rules in :mod:`interpctf.rules` stay the only
    place standings are computed, and the board a request sees is always one that function produced.

    Freshness guarantee: a board is served only while it reflects every grade stored more than
    ``board_lag_seconds`` ago (``fresh_from``: the time its version was read, or last confirmed unchanged); past
    that, the request computes it itself (one request at a time). The thread sleeps while nobody reads the board.
    """

    IDLE_SECONDS = 30.0  # stop recomputing when nobody has asked for the board this long

    def __init__(self, state: ServerState):
        self.state = state
        self._latest: tuple | None = None  # (key, meta, entry, fresh_from)
        self._wanted_at = time.monotonic()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="board-refresher", daemon=True)
        self._thread.start()

    def wanted(self) -> None:
        idle = time.monotonic() - self._wanted_at > self.IDLE_SECONDS
        self._wanted_at = time.monotonic()
        if idle:
            self._wake.set()

    def latest(self) -> tuple | None:
        latest = self._latest
        if latest is None or time.monotonic() - latest[3] > self.state.settings.board_lag_seconds:
            self._wake.set()
            return None
        return latest

    def offer(self, meta: tuple, key: tuple, entry: tuple, fresh_from: float) -> None:
        """A board computed elsewhere (a request that could not wait); kept if it is newer than ours."""
        with self.state.board_lock:
            if self._latest is None or fresh_from > self._latest[3]:
                self._latest = (key, meta, entry, fresh_from)

    def changed(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        import logging
        log = logging.getLogger("interpctf.server.board")
        poll = self.state.settings.board_poll_seconds
        while not self._stop.is_set():
            if time.monotonic() - self._wanted_at > self.IDLE_SECONDS:
                self._wake.wait()
            else:
                self._wake.wait(poll)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.refresh()
            except Exception:  # a database restart must not end the refresher; requests compute meanwhile
                log.exception("board refresh failed; retrying")
                self._stop.wait(1.0)

    def refresh(self) -> bool:
        """Bring the board up to the database's version; True when a new board was computed."""
        state = self.state
        with state.db.read() as session:
            checked = time.monotonic()
            meta = _read_meta(session)
            if meta is None:
                return False
            key = _key(meta, False, 10)
            latest = self._latest
            if latest is not None and latest[0] == key:
                self.offer(meta, key, latest[2], checked)  # unchanged: the board is still complete as of now
                return False
            with state.board_lock:
                entry = state.board_cache.get(key)
            if entry is None:
                entry = _render(compute_board(session, state.event(session), key[1], key[2], 10))
                _install(state, key, entry)
        self.offer(meta, key, entry, checked)
        return True


def compute_board(session, event, now_phase: str, frozen: bool, top: int = 10) -> dict:
    final = now_phase == "ended"
    chals, attempts, awards, teams, kinds = gather(session, event, final, event.freeze_at if frozen else None)
    values = {c.id: ValueRule.model_validate(c.value) for c in chals}
    rules = EventRules.model_validate(event.rules or {})
    names = {t.id: t.name for t in teams}
    standings = compute_standings(list(names), values, attempts, awards, rules)
    solves = solve_times(attempts)
    from interpctf.rules.standings import challenge_values
    current = challenge_values(values, attempts)
    top_ids = [s.team for s in standings[:top] if s.score > 0]
    series = score_series(top_ids, values, [a for a in attempts if a.team in set(top_ids)] if not rules.first_blood
                          else attempts, awards, rules)
    return {
        "event": event.title,
        "phase": now_phase if not (now_phase == "frozen" and not frozen) else "running",
        "split": "private" if final else "public",
        "frozen_at": _iso(event.freeze_at) if frozen else None,
        "standings": [{"pos": s.pos, "team": names[s.team], "team_id": s.team, "score": s.score,
                       "solves": s.solves, "accounts": _account_label(kinds.get(s.team, set())),
                       "reached_at": _iso(s.reached_at)} for s in standings],
        "challenges": [{"slug": c.slug, "title": c.title, "value": current.get(c.id, 0),
                        "solves": len(solves.get(c.id, []))} for c in chals],
        "series": [{"team": names[t], "points": [[_iso(at), v] for at, v in series.get(t, [])]} for t in top_ids],
    }


ACCOUNT_FILTERS = ("human", "agent", "mixed")


def filter_board(board: dict, accounts: str | None) -> dict:
    """The board restricted to teams whose accounts are ``accounts`` (human, agent or mixed), ranked among
    themselves; challenge values and solve counts stay those of the whole event."""
    if not accounts:
        return board
    rows = [r for r in board["standings"] if r["accounts"] == accounts]
    keep = {r["team"] for r in rows}
    return {**board, "accounts": accounts, "standings": [{**r, "pos": i} for i, r in enumerate(rows, start=1)],
            "series": [s for s in board["series"] if s["team"] in keep]}


def _account_label(types: set[str]) -> str:
    if not types:
        return "human"
    return next(iter(types)) if len(types) == 1 else "mixed"


def ctftime_feed(board: dict) -> dict:
    return {"standings": [{"pos": s["pos"], "team": s["team"], "score": s["score"]} for s in board["standings"]]}


def graded_count(session) -> int:
    return session.scalar(select(func.count(Submission.id)).where(Submission.status == "graded")) or 0
