"""A CTF scoreboard as a pure function of graded attempts, awards and rules.

Per team and challenge, the team's best grade counts. With ``partial_credit`` a team earns
``round(value * best_score)``; otherwise ``value`` once solved and nothing before. ``value`` is the challenge's
current (dynamic) value given how many teams solved it. The first team to solve a challenge gets the
first-blood bonus (``first_blood[0]``; the second ``first_blood[1]``, ...). Awards (hint unlocks are negative
awards) add up. Ties are broken by the time the score was reached: earlier wins, then the lower team id.

Freezing is the caller's choice of which attempts to pass in (see :func:`visible_attempts`).
"""

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from interpctf.rules.ctf import ValueRule, challenge_value


class EventRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partial_credit: bool = True
    first_blood: list[int] = Field(default_factory=list)  # bonus points for the 1st, 2nd, ... solver


@dataclass(frozen=True)
class Attempt:
    """One graded submission as the rules see it (the score on whichever split is being shown)."""

    team: int
    challenge: int
    score: float
    solved: bool
    at: datetime


@dataclass(frozen=True)
class AwardItem:
    team: int
    value: int
    at: datetime


@dataclass
class Standing:
    team: int
    score: int
    reached_at: datetime | None
    pos: int = 0
    solves: int = 0
    per_challenge: dict[int, int] = field(default_factory=dict)


def _best(attempts: list[Attempt]) -> dict[tuple[int, int], Attempt]:
    """Per (team, challenge): the best attempt, the earliest among equals (a solve beats any unsolved score)."""
    best: dict[tuple[int, int], Attempt] = {}
    for a in sorted(attempts, key=lambda a: a.at):
        key = (a.team, a.challenge)
        cur = best.get(key)
        if cur is None or (a.solved, a.score) > (cur.solved, cur.score):
            best[key] = a
    return best


def solve_times(attempts: list[Attempt]) -> dict[int, list[tuple[datetime, int]]]:
    """Per challenge: (time of first solve, team), in solve order."""
    first: dict[tuple[int, int], datetime] = {}
    for a in attempts:
        if a.solved:
            key = (a.team, a.challenge)
            if key not in first or a.at < first[key]:
                first[key] = a.at
    out: dict[int, list[tuple[datetime, int]]] = {}
    for (team, chal), at in first.items():
        out.setdefault(chal, []).append((at, team))
    for items in out.values():
        items.sort()
    return out


def challenge_values(values: dict[int, ValueRule], attempts: list[Attempt]) -> dict[int, int]:
    solves = solve_times(attempts)
    return {cid: challenge_value(rule, len(solves.get(cid, []))) for cid, rule in values.items()}


def compute_standings(teams: list[int], values: dict[int, ValueRule], attempts: list[Attempt],
                      awards: list[AwardItem], rules: EventRules) -> list[Standing]:
    """Standings of ``teams`` (every team appears, with 0 if it has nothing), best first, positions 1..n."""
    solves = solve_times(attempts)
    current = {cid: challenge_value(rule, len(solves.get(cid, []))) for cid, rule in values.items()}
    rows = {t: Standing(team=t, score=0, reached_at=None) for t in teams}

    def touch(row: Standing, at: datetime) -> None:
        row.reached_at = at if row.reached_at is None or at > row.reached_at else row.reached_at

    for (team, chal), a in _best(attempts).items():
        if team not in rows or chal not in current:
            continue
        points = round(current[chal] * a.score) if rules.partial_credit else (current[chal] if a.solved else 0)
        row = rows[team]
        row.per_challenge[chal] = points
        row.solves += int(a.solved)
        if points:
            row.score += points
            touch(row, a.at)
    for chal, order in solves.items():
        for rank, (at, team) in enumerate(order[:len(rules.first_blood)]):
            if team in rows and chal in current:
                rows[team].score += rules.first_blood[rank]
                touch(rows[team], at)
    for award in awards:
        if award.team in rows:
            rows[award.team].score += award.value
            touch(rows[award.team], award.at)
    never = datetime.max
    ordered = sorted(rows.values(), key=lambda r: (-r.score, r.reached_at or never, r.team))
    for pos, row in enumerate(ordered, start=1):
        row.pos = pos
    return ordered


def visible_attempts(attempts: list[Attempt], freeze_at: datetime | None) -> list[Attempt]:
    """What others may see while the board is frozen: attempts made before the freeze."""
    if freeze_at is None:
        return list(attempts)
    return [a for a in attempts if a.at < freeze_at]


def score_series(teams: list[int], values: dict[int, ValueRule], attempts: list[Attempt],
                 awards: list[AwardItem], rules: EventRules,
                 solves: dict[int, list[tuple[datetime, int]]] | None = None) -> dict[int, list[tuple[datetime, int]]]:
    """Score over time per team (for the chart), using the final challenge values (as CTFd's graph does).
    The last point of each series equals the team's score in :func:`compute_standings`.

    ``solves``: :func:`solve_times` of *every* attempt of the event, so that ``attempts`` may hold only those of
    ``teams`` (challenge values and first-blood ranks depend on everyone's solves); default: computed from
    ``attempts``, which must then hold every attempt."""
    solves = solve_times(attempts) if solves is None else solves
    current = {cid: challenge_value(rule, len(solves.get(cid, []))) for cid, rule in values.items()}
    bonus: dict[tuple[int, int], int] = {}
    for chal, order in solves.items():
        for rank, (_at, team) in enumerate(order[:len(rules.first_blood)]):
            bonus[(team, chal)] = rules.first_blood[rank]
    wanted = set(teams)
    deltas: dict[int, list[tuple[datetime, int]]] = {t: [] for t in teams}
    base_best: dict[tuple[int, int], int] = {}
    for a in sorted(attempts, key=lambda a: (a.at, not a.solved, -a.score)):  # the best first among equal times
        if a.team not in wanted or a.challenge not in current:
            continue
        key = (a.team, a.challenge)
        value = current[a.challenge]
        base = round(value * a.score) if rules.partial_credit else (value if a.solved else 0)
        gained = 0
        if base > base_best.get(key, 0):
            gained += base - base_best.get(key, 0)
            base_best[key] = base
        if a.solved and key in bonus:
            gained += bonus.pop(key)
        if gained:
            deltas[a.team].append((a.at, gained))
    for w in awards:
        if w.team in wanted:
            deltas[w.team].append((w.at, w.value))
    out: dict[int, list[tuple[datetime, int]]] = {}
    for team, items in deltas.items():
        total, series = 0, []
        for at, delta in sorted(items):
            total += delta
            series.append((at, total))
        out[team] = series
    return out
