"""Dixit-rules league scoring: a proposer scores most when exactly one other team solves their challenge.

With ``n`` teams and ``k`` solvers among the ``n - 1`` others, the proposer gets 0 when ``k = 0`` (too hard) or
``k = n - 1`` (too easy), ``proposer_max`` at ``k = 1``, falling linearly to ``proposer_min`` at ``k = n - 2``
(when ``k = 1`` is also ``n - 2`` the maximum wins). Each solver gets ``solver_points``, plus ``sole_bonus`` when
it is the only solver.

Collusion signal: a proposer whose challenges are solved by exactly the same single team in two or more rounds.
"""

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, model_validator


class LeagueRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proposer_max: float = Field(default=3, ge=0)
    proposer_min: float = Field(default=1, ge=0)
    solver_points: float = Field(default=1, ge=0)
    sole_bonus: float = Field(default=1, ge=0)
    collusion_rounds: int = Field(default=2, ge=2)  # rounds with the same single solver before a flag

    @model_validator(mode="after")
    def _order(self) -> "LeagueRules":
        if self.proposer_min > self.proposer_max:
            raise ValueError("proposer_min must not exceed proposer_max")
        return self


def proposer_points(n: int, k: int, rules: LeagueRules = LeagueRules()) -> float:
    """Points of a proposer whose challenge ``k`` of the other ``n - 1`` teams solved."""
    if n < 1 or not 0 <= k <= max(n - 1, 0):
        raise ValueError(f"need 0 <= k <= n - 1 with n >= 1; got n={n}, k={k}")
    if k == 0 or k == n - 1:
        return 0.0
    if k == 1 or n - 2 <= 1:
        return float(rules.proposer_max)
    # linear from (1, max) to (n - 2, min)
    return rules.proposer_max - (rules.proposer_max - rules.proposer_min) * (k - 1) / (n - 3)


def solver_points(k: int, rules: LeagueRules = LeagueRules()) -> float:
    """Points of each of ``k`` solvers of one challenge."""
    if k < 1:
        raise ValueError("a solver exists only when k >= 1")
    return rules.solver_points + (rules.sole_bonus if k == 1 else 0)


@dataclass(frozen=True)
class Proposal:
    """A published challenge of one round: who proposed it and who (other than the proposer) solved it."""

    challenge: int
    proposer: int
    solvers: frozenset[int]


@dataclass
class RoundScore:
    team: int
    points: float = 0.0
    proposed: float = 0.0  # points earned as a proposer
    solved: float = 0.0  # points earned as a solver
    pos: int = 0


@dataclass
class ChallengeOutcome:
    challenge: int
    proposer: int
    solvers: list[int]
    proposer_points: float
    solver_points: float  # per solver


@dataclass
class RoundResult:
    scores: list[RoundScore]
    outcomes: list[ChallengeOutcome] = field(default_factory=list)


def _rank(rows: list[RoundScore]) -> list[RoundScore]:
    ordered = sorted(rows, key=lambda r: (-round(r.points, 9), r.team))
    for i, row in enumerate(ordered):
        same = i and round(ordered[i - 1].points, 9) == round(row.points, 9)
        row.pos = ordered[i - 1].pos if same else i + 1
    return ordered


def score_round(teams: list[int], proposals: list[Proposal], rules: LeagueRules = LeagueRules()) -> RoundResult:
    """Scores of one round. ``teams`` are every team in the league (``n = len(teams)``); solves by the proposer
    itself or by teams outside ``teams`` are ignored."""
    n = len(teams)
    members = set(teams)
    rows = {t: RoundScore(team=t) for t in teams}
    outcomes = []
    for p in proposals:
        solvers = sorted(s for s in p.solvers if s in members and s != p.proposer)
        k = len(solvers)
        gained = proposer_points(n, k, rules) if p.proposer in members else 0.0
        each = solver_points(k, rules) if k else 0.0
        if p.proposer in members:
            rows[p.proposer].proposed += gained
            rows[p.proposer].points += gained
        for s in solvers:
            rows[s].solved += each
            rows[s].points += each
        outcomes.append(ChallengeOutcome(p.challenge, p.proposer, solvers, gained, each))
    return RoundResult(scores=_rank(list(rows.values())), outcomes=outcomes)


def cumulative(teams: list[int], rounds: list[RoundResult]) -> list[RoundScore]:
    """Standings summed over rounds, ranked (equal points share a position)."""
    rows = {t: RoundScore(team=t) for t in teams}
    for result in rounds:
        for r in result.scores:
            if r.team in rows:
                rows[r.team].points += r.points
                rows[r.team].proposed += r.proposed
                rows[r.team].solved += r.solved
    return _rank(list(rows.values()))


@dataclass(frozen=True)
class CollusionFlag:
    proposer: int
    solver: int
    rounds: tuple[int, ...]


def collusion_flags(history: dict[int, list[Proposal]], rules: LeagueRules = LeagueRules()) -> list[CollusionFlag]:
    """``history`` maps round number to its proposals. Flags (proposer, solver) pairs where the solver was the
    only solver of the proposer's challenge in ``rules.collusion_rounds`` or more rounds."""
    seen: dict[tuple[int, int], set[int]] = {}
    for number, proposals in history.items():
        for p in proposals:
            others = p.solvers - {p.proposer}
            if len(others) == 1:
                seen.setdefault((p.proposer, next(iter(others))), set()).add(number)
    return [CollusionFlag(proposer, solver, tuple(sorted(rounds)))
            for (proposer, solver), rounds in sorted(seen.items()) if len(rounds) >= rules.collusion_rounds]
