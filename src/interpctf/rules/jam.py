"""Hackathon (jam) judging: weighted criteria, per-judge z-normalization, bootstrap intervals, ranking.

Defaults follow the 2022 interpretability hackathon: ML safety x2; interpretability, novelty, generality and
reproducibility x1 each; every criterion rated 1-10.
"""

import random
import statistics
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    weight: float = Field(default=1.0, gt=0, le=100)
    description: str = Field(default="", max_length=300)


def default_criteria() -> list[Criterion]:
    return [Criterion(name="ML safety", weight=2, description="How much does this help make AI safe?"),
            Criterion(name="Interpretability", description="Does it advance our understanding of models?"),
            Criterion(name="Novelty", description="Is this new, or a new angle on something known?"),
            Criterion(name="Generality", description="Would the findings carry over to other models?"),
            Criterion(name="Reproducibility", description="Could someone else repeat it from the writeup?")]


class JamRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criteria: list[Criterion] = Field(default_factory=default_criteria, min_length=1)
    scale_min: int = 1
    scale_max: int = 10
    reviews_per_judge: int = Field(default=5, ge=1, le=100)
    seed: int = 0
    normalize: bool = False  # per-judge z-scores (evens out harsh and lenient judges)
    bootstrap: int = Field(default=1000, ge=100, le=20000)
    confidence: float = Field(default=0.9, gt=0, lt=1)

    @field_validator("criteria")
    @classmethod
    def _unique(cls, value: list[Criterion]) -> list[Criterion]:
        names = [c.name.lower() for c in value]
        if len(set(names)) != len(names):
            raise ValueError("criterion names must be unique")
        return value

    @model_validator(mode="after")
    def _scale(self) -> "JamRules":
        if self.scale_min >= self.scale_max:
            raise ValueError("scale_min must be below scale_max")
        return self


def weighted_score(scores: dict[str, float], criteria: list[Criterion]) -> float:
    """The weighted mean of one review's ratings (on the rating scale); every criterion must be rated."""
    missing = [c.name for c in criteria if c.name not in scores]
    if missing:
        raise ValueError(f"missing ratings for: {', '.join(missing)}")
    total = sum(c.weight for c in criteria)
    return sum(c.weight * float(scores[c.name]) for c in criteria) / total


@dataclass(frozen=True)
class Review:
    project: int
    judge: int
    score: float  # the weighted score


def normalize_by_judge(reviews: list[Review]) -> list[Review]:
    """Each judge's scores as z-scores over that judge's own reviews (a judge with one review, or all equal
    ratings, contributes 0: no information about relative quality)."""
    by_judge: dict[int, list[float]] = {}
    for r in reviews:
        by_judge.setdefault(r.judge, []).append(r.score)
    stats = {j: (statistics.fmean(v), statistics.pstdev(v)) for j, v in by_judge.items()}
    out = []
    for r in reviews:
        mean, sd = stats[r.judge]
        out.append(Review(r.project, r.judge, (r.score - mean) / sd if sd > 0 else 0.0))
    return out


def bootstrap_interval(values: list[float], resamples: int, confidence: float, seed: int) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (a single value gives a zero-width interval)."""
    if not values:
        raise ValueError("no values")
    if len(values) == 1:
        return values[0], values[0]
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
    tail = (1 - confidence) / 2
    lo = means[int(tail * (resamples - 1))]
    hi = means[int(round((1 - tail) * (resamples - 1)))]
    return lo, hi


@dataclass
class ProjectResult:
    project: int
    score: float
    low: float
    high: float
    reviews: int
    rank: int = 0


def aggregate(projects: list[int], reviews: list[Review], rules: JamRules) -> list[ProjectResult]:
    """Ranked results: projects with reviews by mean (normalized) score, best first; unreviewed ones last."""
    used = normalize_by_judge(reviews) if rules.normalize else reviews
    by_project: dict[int, list[float]] = {}
    for r in used:
        by_project.setdefault(r.project, []).append(r.score)
    rated, unrated = [], []
    for p in projects:
        values = by_project.get(p)
        if not values:
            unrated.append(ProjectResult(p, float("nan"), float("nan"), float("nan"), 0))
            continue
        lo, hi = bootstrap_interval(values, rules.bootstrap, rules.confidence, rules.seed * 7919 + p)
        rated.append(ProjectResult(p, statistics.fmean(values), lo, hi, len(values)))
    rated.sort(key=lambda r: (-r.score, r.project))
    for i, r in enumerate(rated, start=1):
        r.rank = i
    return rated + unrated
