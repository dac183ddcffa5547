"""Live standings: every graded attempt kept in memory, brought up to date per grade by reading only the rows
graded since the last refresh, and the standings computed from that table with numpy in milliseconds.

What :mod:`interpctf.rules.standings` defines is applied as it is defined, to all of the table at once: per team
and challenge the best attempt (the earliest among equals), each challenge's value from its solve count, points
``round(value * score)`` (or the value once solved), first-blood bonuses by solve order, awards, ties by the time
the score was reached. A solve re-prices its challenge for every solver simply because every solver's points
are computed again from the new value; nothing is patched per team. ``tests/server/test_live_board.py`` checks the
board after each step of an event (solves, partial credit, re-pricing, first blood, hints, awards, hidden teams,
re-grades, a freeze, the end) against the board the pure rules compute from scratch, on SQLite and PostgreSQL.

Keeping the table in step with the database: every change that moves standings bumps ``Event.board_version``
once in its own transaction (a stored grade, a re-grade, an award or a hint). A refresh reads, in one snapshot
(REPEATABLE READ on PostgreSQL; a WAL read transaction on SQLite), the version, the grades stored since the last
refresh (by id and ``grade_count``), the awards and the count of graded rows. When each version step is
explained by one new grade or award it read, and the graded count matches, the table applies them; anything else
(a re-grade, an unforeseen writer, a grade committed long after it was made, a phase change) reloads the table
from scratch. Teams, accounts, challenges and awards are small and read whole on each refresh.
"""

from bisect import bisect_left, insort
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import DateTime, bindparam, text

from interpctf.rules import Attempt, AwardItem, EventRules, Standing, ValueRule, challenge_value, score_series

EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)
NEVER = np.iinfo(np.int64).max  # the sort key of a team that never scored (``datetime.max`` in the rules)
UNSET = np.iinfo(np.int64).min
ID_SLACK = 2000  # rows inserted before the newest id we saw may commit after it (PostgreSQL sequences)
LATE_SECONDS = 60.0  # a grade whose commit lands this long after its ``graded_at`` makes the next refresh reload


def _us(t: datetime) -> int:
    return (t - EPOCH) // _US


def _dt(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=int(us))


def _when(value) -> datetime:
    """A DateTime column read without SQLAlchemy's per-row processing: SQLite gives its text, psycopg a datetime."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class _Columns:
    """The best attempt per (team, challenge), as growable numpy columns."""

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self.team = np.zeros(capacity, np.int64)
        self.chal = np.zeros(capacity, np.int64)
        self.score = np.zeros(capacity, np.float64)
        self.solved = np.zeros(capacity, bool)
        self.at = np.zeros(capacity, np.int64)

    def append(self, a: Attempt) -> int:
        if self.n == len(self.team):
            for name in ("team", "chal", "score", "solved", "at"):
                old = getattr(self, name)
                new = np.zeros(2 * len(old), old.dtype)
                new[:len(old)] = old
                setattr(self, name, new)
        self.team[self.n] = a.team
        self.set(self.n, a)
        self.n += 1
        return self.n - 1

    def set(self, i: int, a: Attempt) -> None:
        self.chal[i], self.score[i], self.solved[i], self.at[i] = a.challenge, a.score, a.solved, _us(a.at)


class LiveStandings:
    """The table of one view of the board: ``mode`` is (final split?, freeze time or None)."""

    def __init__(self):
        self.mode: tuple | None = None
        self.version: int | None = None
        self.reloads = 0  # full loads so far (the tests count them)

    # keeping up with the database -----------------------------------------------------------------------
    def sync(self, conn, version: int, final: bool, freeze: datetime | None) -> None:
        """Bring the table to ``version`` (read by the caller in the same snapshot as ``conn``)."""
        mode = (final, freeze)
        if mode != self.mode or self.version is None or not self._delta(conn, version):
            self._load(conn, version, mode)

    def _columns_sql(self) -> str:
        score, solved = ("score", "solved") if self.mode[0] else ("public_score", "public_solved")
        return f"id, grade_count, status, team_id, challenge_id, {score}, {solved}, created_at, graded_at"

    def _load(self, conn, version: int, mode: tuple) -> None:
        self.reset(mode, version)
        self.reloads += 1
        for row in conn.execute(text(f"SELECT {self._columns_sql()} FROM submissions "
                                     "WHERE status IN ('graded', 'failed')")):
            self.take(row)
        self.award_ids = {r[0] for r in conn.execute(text("SELECT id FROM awards"))}
        self._marks(conn)

    def reset(self, mode: tuple, version: int = 0) -> None:
        """An empty table for ``mode`` (final split?, freeze time or None)."""
        self.mode, self.version = mode, version
        self.applied: dict[int, int] = {}  # graded rows in the table: id -> grade_count
        self.failed: dict[int, int] = {}  # failed rows seen: id -> grade_count
        self.by_team: dict[int, list[tuple]] = {}  # plain tuples: the garbage collector leaves them alone
        self.best: dict[tuple[int, int], int] = {}
        self.cols = _Columns()
        self.first_solve: dict[tuple[int, int], datetime] = {}
        self.solvers: dict[int, list[tuple[datetime, int]]] = {}
        self.award_ids: set[int] = set()
        self.high_id = 0
        self.since: datetime | None = None

    def _marks(self, conn) -> None:
        """Where the next refresh starts reading: ids from the oldest unfinished row (or the newest); grades are
        read back to ``LATE_SECONDS`` before the newest one seen (``since``, kept by :meth:`take`)."""
        pending = conn.execute(text("SELECT min(id) FROM submissions WHERE status IN ('queued', 'grading')")).scalar()
        newest = conn.execute(text("SELECT max(id) FROM submissions")).scalar() or 0
        self.floor = min(pending or newest + 1, newest + 1, self.high_id + 1) - ID_SLACK

    def _delta(self, conn, version: int) -> bool:
        """Apply what changed since ``self.version``; False when it cannot be explained grade by grade."""
        if version == self.version:
            return True
        since = (self.since or EPOCH) - timedelta(seconds=LATE_SECONDS)
        rows = conn.execute(text(f"SELECT {self._columns_sql()} FROM submissions WHERE id >= :floor "
                                 "AND status IN ('graded', 'failed') AND graded_at >= :since")
                            .bindparams(bindparam("since", type_=DateTime)), {"floor": self.floor, "since": since})
        fresh = []
        for row in rows:
            sub_id, count, status = row[0], row[1], row[2]
            if sub_id in self.applied:
                if self.applied[sub_id] != count:
                    return False  # graded again (a re-grade): its earlier grade must leave the table
                continue
            if self.failed.get(sub_id) == count:
                continue
            fresh.append(row)
        awards = {r[0] for r in conn.execute(text("SELECT id FROM awards"))}
        new_awards = awards - self.award_ids
        graded = conn.execute(text("SELECT count(*) FROM submissions WHERE status = 'graded'")).scalar()
        if len(fresh) + len(new_awards) != version - self.version or self.award_ids - awards:
            return False
        if graded != len(self.applied) + sum(1 for r in fresh if r[2] == "graded"):
            return False
        for row in fresh:
            self.take(row)
        self.award_ids = awards
        self.version = version
        self._marks(conn)
        return True

    def take(self, row) -> None:
        """One submission row (id, grade_count, status, team, challenge, score, solved, created_at[, graded_at])."""
        sub_id, count, status, team, chal, score, solved, at = row[:8]
        self.high_id = max(self.high_id, sub_id)
        if len(row) > 8 and row[8] is not None:
            stored = _when(row[8])
            self.since = stored if self.since is None or stored > self.since else self.since
        if status != "graded":
            self.failed[sub_id] = count
            return
        self.applied[sub_id] = count
        a = Attempt(team=team, challenge=chal, score=float(score or 0.0), solved=bool(solved), at=_when(at))
        freeze = self.mode[1]
        if freeze is not None and not a.at < freeze:
            return  # made after the freeze: hidden from this view until the end
        self.by_team.setdefault(team, []).append((team, chal, a.score, a.solved, a.at))
        key = (team, chal)
        i = self.best.get(key)
        if i is None:
            self.best[key] = self.cols.append(a)
        else:
            c = self.cols
            cur = (bool(c.solved[i]), float(c.score[i]))
            if (a.solved, a.score) > cur or ((a.solved, a.score) == cur and _us(a.at) < c.at[i]):
                c.set(i, a)
        if a.solved:
            first = self.first_solve.get(key)
            if first is None or a.at < first:
                order = self.solvers.setdefault(chal, [])
                if first is not None:
                    del order[bisect_left(order, (first, team))]
                insort(order, (a.at, team))
                self.first_solve[key] = a.at

    # standings ------------------------------------------------------------------------------------------
    def standings(self, teams: list[int], values: dict[int, ValueRule], awards: list[AwardItem],
                  rules: EventRules) -> tuple[list[Standing], dict[int, int]]:
        """What :func:`interpctf.rules.compute_standings` returns for this table, and the challenge values."""
        current = {cid: challenge_value(rule, len(self.solvers.get(cid, []))) for cid, rule in values.items()}
        c, n = self.cols, self.cols.n
        team_ids = np.array(teams, np.int64)
        size = max(max(teams, default=0), int(c.team[:n].max()) if n else 0) + 1
        row_of = np.full(size, -1, np.int64)
        row_of[team_ids] = np.arange(len(teams))
        csize = max(max(values, default=0), int(c.chal[:n].max()) if n else 0) + 1
        value, visible = np.zeros(csize, np.float64), np.zeros(csize, bool)
        for cid, v in current.items():
            value[cid], visible[cid] = v, True
        pt, pc = c.team[:n], c.chal[:n]
        ok = visible[pc] & (row_of[pt] >= 0)
        if rules.partial_credit:
            points = np.rint(value[pc[ok]] * c.score[:n][ok])
        else:
            points = np.where(c.solved[:n][ok], value[pc[ok]], 0.0)
        rows = row_of[pt[ok]]
        score = np.bincount(rows, weights=points, minlength=len(teams)).astype(np.int64)
        solves = np.bincount(rows, weights=c.solved[:n][ok], minlength=len(teams)).astype(np.int64)
        reached = np.full(len(teams), UNSET, np.int64)
        nonzero = points != 0
        np.maximum.at(reached, rows[nonzero], c.at[:n][ok][nonzero])
        score, reached = score.tolist(), reached.tolist()

        def add(team: int, points: int, at: datetime) -> None:
            r = int(row_of[team]) if team < size else -1
            if r >= 0:
                score[r] += points
                reached[r] = max(reached[r], _us(at))

        for cid in current:
            for rank, (at, team) in enumerate(self.solvers.get(cid, [])[:len(rules.first_blood)]):
                add(team, rules.first_blood[rank], at)
        for w in awards:
            add(w.team, w.value, w.at)
        key = np.array([NEVER if r == UNSET else r for r in reached], np.int64)
        order = np.lexsort((team_ids, key, -np.array(score, np.int64))) if teams else []
        solves = solves.tolist()
        out = [Standing(team=teams[i], score=score[i], reached_at=None if reached[i] == UNSET else _dt(reached[i]),
                        pos=pos, solves=solves[i]) for pos, i in enumerate(order, start=1)]
        return out, current

    def series(self, top: list[int], values: dict[int, ValueRule], awards: list[AwardItem], rules: EventRules):
        attempts = [Attempt(*a) for t in top for a in self.by_team.get(t, [])]
        return score_series(top, values, attempts, awards, rules, solves=self.solvers)
