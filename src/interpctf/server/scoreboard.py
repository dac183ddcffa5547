"""The scoreboard: gathers facts from the database, asks :mod:`interpctf.rules` for standings, caches the result
until a grade lands (``Event.board_version``) or the phase changes (freeze, end).

During a live event everyone's board is kept up to date off the request path (:class:`BoardRefresher`, over a
table of attempts updated per grade: :mod:`interpctf.server.live_board`) and requests are served the last
complete board, within a bound on its lag (``board_lag_seconds``); why that design is said in that class.
Other views (an admin's while frozen) are computed from scratch by the pure rules (:func:`compute_board`).

While the event runs the board uses the public probe split; after the end, the private split (final standings).
While frozen, everyone but admins sees the board as it was at the freeze time (solves after it, and their counts,
stay hidden until the end).
"""

import gc
import gzip
import json
import threading
import time
from datetime import datetime

from sqlalchemy import func, select

from interpctf.rules import (Attempt, AwardItem, EventRules, ValueRule, challenge_value, compute_standings,
                             score_series)
from interpctf.rules.standings import solve_times, visible_attempts
from interpctf.server.live_board import LiveStandings
from interpctf.server.models import Award, Challenge, Event, Submission, Team, User
from interpctf.server.state import ServerState, phase


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() + "Z" if t else None


def gather_facts(session, final: bool, freeze: datetime | None):
    """Everything the board needs but the attempts: challenges, awards, teams with members, their accounts."""
    chals = session.execute(select(Challenge.id, Challenge.slug, Challenge.title, Challenge.value)
                            .where(Challenge.hidden.is_(False)).order_by(Challenge.position)).all()
    awards = [AwardItem(team=a.team_id, value=a.value, at=a.created_at)
              for a in session.execute(select(Award.team_id, Award.value, Award.created_at))]
    if freeze is not None:
        awards = [a for a in awards if a.at < freeze]
    teams = session.execute(select(Team.id, Team.name).where(Team.hidden.is_(False))).all()
    kinds: dict[int, set[str]] = {}
    for team_id, account_type in session.execute(select(User.team_id, User.account_type)
                                                 .where(User.team_id.is_not(None))):
        kinds.setdefault(team_id, set()).add(account_type)
    teams = [t for t in teams if t.id in kinds]
    return chals, awards, teams, kinds


def gather(session, event, final: bool, freeze: datetime | None):
    chals, awards, teams, kinds = gather_facts(session, final, freeze)
    score_col, solved_col = ((Submission.score, Submission.solved) if final
                             else (Submission.public_score, Submission.public_solved))
    rows = session.execute(select(Submission.team_id, Submission.challenge_id, score_col, solved_col,
                                  Submission.created_at).where(Submission.status == "graded")).all()
    attempts = [Attempt(team=r[0], challenge=r[1], score=float(r[2] or 0.0), solved=bool(r[3]), at=r[4])
                for r in rows]
    if freeze is not None:
        attempts = visible_attempts(attempts, freeze)
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
    meta = _read_meta(session)
    if meta is None:
        state.event(session)  # raises the clear "no event" error
    key = _key(meta, admin, top)
    with state.board_lock:
        cached = state.board_cache.get(key)
    if cached is not None:
        return cached
    refresher = _refresher(state)
    if refresher is not None and key[2:] == (False, 10):
        # Everyone's view: the refresher brings its table up to date (a few milliseconds; one at a time), and a
        # board at least as new as the version read above is served.
        latest = refresher.refresh_now()
        if latest is not None and latest[0][1:] == key[1:] and latest[0][0] >= key[0]:
            return latest[2]
    with state.board_compute_lock:  # one computation at a time; the others wait and reuse it
        with state.board_lock:
            cached = state.board_cache.get(key)
        if cached is None:
            cached = _render(compute_board(session, state.event(session), key[1], key[2], top))
            _install(state, key, cached)
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
    """Keeps everyone's board (top 10 series) up to date in a background thread: every ``board_poll_seconds`` it
    reads the board version and, when it moved, brings a :class:`~interpctf.server.live_board.LiveStandings`
    table up to it and renders the board once; requests are served that board from memory.

    Why a table updated per grade plus a vectorized recompute, rather than patching standings per grade or
    recomputing from scratch: from scratch the pure rules take ~0.2 s idle (0.5 s under load) at 1,000 teams x
    50 challenges x 20,000 solves, most of it reading and converting 20,000 rows and walking them in Python, and
    a request-serving process under load gets a fraction of a core for it, so the board fell seconds behind.
    Patching standings per grade would be cheap but is a second, stateful copy of every rule (a solve re-prices
    its challenge for every solver, moves first blood and the times scores were reached; freezes, hints,
    awards, hidden teams and re-grades each need their own patch). Here only the *facts* are kept per grade (each
    team's attempts, the best per team and challenge, the solve order per challenge), which is exact and simple
    to keep, and the standings are recomputed from all of them on each refresh, the rules applied as written
    over numpy columns (~2 ms). Anything a delta cannot explain (a re-grade, a phase change) reloads the table.

    Freshness guarantee: a board is served only while it reflects every grade stored more than
    ``board_lag_seconds`` ago (``fresh_from``: the time its version was read, or last confirmed unchanged); past
    that, the request brings the table up to date itself (:meth:`refresh_now`). The thread sleeps while nobody
    reads the board.
    """

    IDLE_SECONDS = 30.0  # stop refreshing when nobody has asked for the board this long
    _frozen = False  # gc.freeze() done in this process

    def __init__(self, state: ServerState):
        self.state = state
        self.table = LiveStandings()
        self._latest: tuple | None = None  # (key, meta, entry, fresh_from)
        self._wanted_at = time.monotonic()
        self._refreshing = threading.Lock()  # one refresh at a time: the table is not shared between threads
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

    def refresh_now(self) -> tuple | None:
        """Refresh at once (waiting for one in progress) and return the latest board."""
        self.refresh()
        return self._latest

    def _offer(self, meta: tuple, key: tuple, entry: tuple, fresh_from: float) -> None:
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
                self.table = LiveStandings()
                self._stop.wait(1.0)

    def refresh(self) -> bool:
        """Bring the board up to the database's version; True when a new board was rendered."""
        state = self.state
        with self._refreshing, state.db.read() as session:
            if not state.db.is_sqlite:  # one snapshot for the version and every row read with it
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            checked = time.monotonic()
            meta = _read_meta(session)
            if meta is None:
                return False
            key = _key(meta, False, 10)
            latest = self._latest
            if latest is not None and latest[0] == key:
                self._offer(meta, key, latest[2], checked)  # unchanged: the board is still complete as of now
                return False
            try:
                board = live_board(self.table, session, state.event(session), meta[0], key[1], key[2], 10)
            except BaseException:
                self.table = LiveStandings()  # half-applied: start from scratch next time
                raise
            entry = _render(board)
            _install(state, key, entry)
        self._offer(meta, key, entry, checked)
        if not BoardRefresher._frozen:
            # Once the process is up and the table loaded, move what exists (~200,000 objects: modules, the app,
            # the table) out of the garbage collector's full passes: under live load they ran every few seconds
            # and took 100-300 ms each, stalling every thread (refreshes at p95 150 ms of CPU instead of 30 ms).
            BoardRefresher._frozen = True
            gc.freeze()
        return True


def compute_board(session, event, now_phase: str, frozen: bool, top: int = 10) -> dict:
    """The board from scratch: every fact read from the database, standings by the pure rules."""
    final = now_phase == "ended"
    chals, attempts, awards, teams, kinds = gather(session, event, final, event.freeze_at if frozen else None)
    values = {c.id: ValueRule.model_validate(c.value) for c in chals}
    rules = EventRules.model_validate(event.rules or {})
    names = {t.id: t.name for t in teams}
    standings = compute_standings(list(names), values, attempts, awards, rules)
    solves = solve_times(attempts)
    current = {cid: challenge_value(rule, len(solves.get(cid, []))) for cid, rule in values.items()}
    top_ids = [s.team for s in standings[:top] if s.score > 0]
    wanted = set(top_ids)
    series = score_series(top_ids, values, [a for a in attempts if a.team in wanted], awards, rules, solves=solves)
    return _assemble(event, now_phase, frozen, final, chals, names, kinds, standings, current,
                     {cid: len(order) for cid, order in solves.items()}, series, top_ids)


def live_board(table: LiveStandings, session, event, version: int, now_phase: str, frozen: bool,
               top: int = 10) -> dict:
    """The same board from ``table`` brought up to ``version`` (read in the same snapshot as ``session``)."""
    final = now_phase == "ended"
    freeze = event.freeze_at if frozen else None
    table.sync(session, version, final, freeze)
    chals, awards, teams, kinds = gather_facts(session, final, freeze)
    values = {c.id: ValueRule.model_validate(c.value) for c in chals}
    rules = EventRules.model_validate(event.rules or {})
    names = {t.id: t.name for t in teams}
    standings, current = table.standings(list(names), values, awards, rules)
    top_ids = [s.team for s in standings[:top] if s.score > 0]
    series = table.series(top_ids, values, awards, rules)
    return _assemble(event, now_phase, frozen, final, chals, names, kinds, standings, current,
                     {cid: len(order) for cid, order in table.solvers.items()}, series, top_ids)


def _assemble(event, now_phase, frozen, final, chals, names, kinds, standings, current, solve_counts, series,
              top_ids) -> dict:
    return {
        "event": event.title,
        "phase": now_phase if not (now_phase == "frozen" and not frozen) else "running",
        "split": "private" if final else "public",
        "frozen_at": _iso(event.freeze_at) if frozen else None,
        "standings": [{"pos": s.pos, "team": names[s.team], "team_id": s.team, "score": s.score,
                       "solves": s.solves, "accounts": _account_label(kinds.get(s.team, set())),
                       "reached_at": _iso(s.reached_at)} for s in standings],
        "challenges": [{"slug": c.slug, "title": c.title, "value": current.get(c.id, 0),
                        "solves": solve_counts.get(c.id, 0)} for c in chals],
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
