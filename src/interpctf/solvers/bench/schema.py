"""The benchmark's results as they leave the process: ``results.json`` and ``--json`` output."""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from interpctf.solvers.budget import SolverBudget

Status = Literal["ok", "timeout", "error", "bad-answer"]


class RunResult(BaseModel):
    """One solver on one challenge. ``raw_score`` is the grade on the private split (the final-standings one)."""

    model_config = ConfigDict(extra="forbid")

    solver: str
    challenge: str
    status: Status
    raw_score: float | None = None
    public_score: float | None = None
    solved: bool | None = None
    normalized: float | None = None
    seconds: float
    error: str | None = None


class ChallengeInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    kind: str
    path: str
    trivial_score: float | None  # the 0 of the normalized scale
    reference_score: float | None  # the 1


class SolverSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    solver: str
    access: str
    runs: int
    solved: int
    failures: int
    mean_normalized: float | None
    mean_raw: float | None


class BenchReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suite: str
    executor: str
    budget: SolverBudget
    challenges: list[ChallengeInfo]
    results: list[RunResult]
    summary: list[SolverSummary]
