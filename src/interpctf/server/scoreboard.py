"""The scoreboard: gathers facts from the database, asks :mod:`interpctf.rules` for standings, caches the result
until a grade lands (``Event.board_version``) or the phase changes (freeze, end).

While the event runs the board uses the public probe split; after the end, the private split (final standings).
While frozen, everyone but admins sees the board as it was at the freeze time (solves after it, and their counts,
stay hidden until the end).
"""

import gzip
import json
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
    """The cached board without touching the database, while the last version check is fresher than
    ``board_poll_seconds`` (grades stored by this process invalidate at once; other workers within that time)."""
    meta = state.board_meta
    if meta is None or time.monotonic() - state.board_meta_at > state.settings.board_poll_seconds:
        return None
    entry = state.board_cache.get(_key(meta, admin, 10))
    if entry is None:
        return None
    return entry[2] if gzipped else entry[1]


def _key(meta, admin: bool, top: int) -> tuple:
    version, starts_at, ends_at, freeze_at = meta
    now_phase = phase(_Window(starts_at, ends_at, freeze_at))
    return (version, now_phase, now_phase == "frozen" and not admin, top)


class _Window:
    def __init__(self, starts_at, ends_at, freeze_at):
        self.starts_at, self.ends_at, self.freeze_at = starts_at, ends_at, freeze_at


def _cached(state: ServerState, session, admin: bool, top: int) -> tuple[dict, bytes, bytes]:
    checked = time.monotonic()
    row = session.execute(select(Event.board_version, Event.starts_at, Event.ends_at, Event.freeze_at)
                          .where(Event.id == 1)).first()
    if row is None:
        state.event(session)  # raises the clear "no event" error
    meta = tuple(row)
    key = _key(meta, admin, top)
    with state.board_lock:
        cached = state.board_cache.get(key)
    if cached is None:
        board = compute_board(session, state.event(session), key[1], key[2], top)
        body = json.dumps(board, separators=(",", ":")).encode()
        cached = (board, body, gzip.compress(body, compresslevel=5))
        with state.board_lock:
            if any(k[0] != meta[0] for k in state.board_cache):
                state.board_cache.clear()
            state.board_cache[key] = cached
    state.board_meta, state.board_meta_at = meta, checked
    return cached


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
