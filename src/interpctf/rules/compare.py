"""Humans versus agents on one challenge: pure statistics over graded attempts tagged by account type."""

from dataclasses import dataclass
from datetime import datetime

GROUPS = ("human", "agent")


@dataclass(frozen=True)
class TaggedAttempt:
    """One graded submission: the submitter's account type, team, score (on the split shown) and time."""

    group: str
    team: int
    score: float
    solved: bool
    at: datetime


@dataclass(frozen=True)
class GroupStats:
    teams: int  # teams with at least one graded attempt from this group
    attempts: int
    best_score: float | None
    solves: int  # teams that solved it
    first_solve_seconds: float | None  # from the event start to the group's first solve
    mean_attempts_to_solve: float | None  # per solving team: attempts up to and including its first solve


def group_stats(attempts: list[TaggedAttempt], start: datetime) -> GroupStats:
    ordered = sorted(attempts, key=lambda a: a.at)
    first_solve: dict[int, int] = {}  # team -> attempts up to its first solve
    seen: dict[int, int] = {}
    for a in ordered:
        seen[a.team] = seen.get(a.team, 0) + 1
        if a.solved and a.team not in first_solve:
            first_solve[a.team] = seen[a.team]
    solved_at = [a.at for a in ordered if a.solved]
    return GroupStats(
        teams=len(seen), attempts=len(ordered),
        best_score=max((a.score for a in ordered), default=None),
        solves=len(first_solve),
        first_solve_seconds=(solved_at[0] - start).total_seconds() if solved_at else None,
        mean_attempts_to_solve=sum(first_solve.values()) / len(first_solve) if first_solve else None,
    )


def compare_groups(attempts: list[TaggedAttempt], start: datetime) -> dict[str, GroupStats]:
    """Statistics per account type (every group in :data:`GROUPS`, empty ones too)."""
    return {g: group_stats([a for a in attempts if a.group == g], start) for g in GROUPS}
