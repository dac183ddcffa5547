"""Quality bars: what a forged model must reach (held-out accuracy, attack success, edit efficacy, ...).

A kind's recipe declares its bars with default thresholds; those defaults are floors. A recipe's ``bars:``
mapping (bar name -> threshold) may tighten a bar, never loosen it. Each bar reads one figure (``metric``) from
the metrics the kind's forge returns, so checking is a pure function of the bars and those figures.
Imports nothing else from interpctf: the bundle, the recipe base and the forge all build on it.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict


class BarError(ValueError):
    """A recipe's ``bars:`` mapping names an unknown bar or loosens a default (one-line message)."""


class Bar(BaseModel):
    """``metric`` (a figure in ``Forged.metrics``) must be >= threshold (``min``) or <= threshold (``max``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    metric: str
    direction: Literal["min", "max"]
    threshold: float

    def met(self, figure: float | None) -> bool:
        if figure is None or figure != figure:  # a missing or NaN figure meets nothing
            return False
        return figure >= self.threshold if self.direction == "min" else figure <= self.threshold

    def tighter_than(self, threshold: float) -> bool:
        """Whether this bar's threshold is at least as strict as ``threshold``."""
        return self.threshold >= threshold if self.direction == "min" else self.threshold <= threshold

    def closer(self, a: float | None, b: float | None) -> float | None:
        """The better of two figures for this bar (None counts as worst)."""
        if a is None or b is None:
            return b if a is None else a
        return max(a, b) if self.direction == "min" else min(a, b)

    @property
    def sign(self) -> str:
        return ">=" if self.direction == "min" else "<="


class BarCheck(BaseModel):
    """One bar against one figure: the figure reached (None: not reported) and whether the bar holds."""

    bar: Bar
    figure: float | None
    met: bool
    source: Literal["forged", "measured", "recorded"] = "forged"

    def line(self) -> str:
        got = "not reported" if self.figure is None else f"{self.figure:.4f}"
        return f"{self.bar.name} {self.bar.sign} {self.bar.threshold:g}: {got} ({'met' if self.met else 'NOT met'})"


class Attempt(BaseModel):
    """One forging attempt: the seed it trained from and the figures it reached."""

    seed: int
    figures: dict[str, float]
    passed: bool


class QualityRecord(BaseModel):
    """In the key: the bars the forge held the model to and every attempt it took (the last one is kept)."""

    model_config = ConfigDict(extra="forbid")

    bars: list[Bar]
    attempts: list[Attempt]
    max_attempts: int


class QualitySummary(BaseModel):
    """In the manifest and on the card: each bar with the kept model's figure, and the attempts taken."""

    model_config = ConfigDict(extra="forbid")

    checks: list[BarCheck]
    attempts: int
    max_attempts: int


def min_bar(name: str, metric: str, threshold: float) -> Bar:
    return Bar(name=name, metric=metric, direction="min", threshold=threshold)


def max_bar(name: str, metric: str, threshold: float) -> Bar:
    return Bar(name=name, metric=metric, direction="max", threshold=threshold)


def tighten(defaults: list[Bar], overrides: dict[str, float]) -> list[Bar]:
    """The defaults with the recipe's thresholds applied; unknown names and loosened floors raise BarError."""
    by_name = {bar.name: bar for bar in defaults}
    for name, value in overrides.items():
        if name not in by_name:
            valid = ", ".join(sorted(by_name)) or "none: this recipe's kind declares no bars"
            raise BarError(f"bars: unknown bar {name!r}; the bars of this recipe are: {valid}")
        default = by_name[name]
        wanted = default.model_copy(update={"threshold": float(value)})
        if not wanted.tighter_than(default.threshold):
            raise BarError(f"bars: {name} {value:g} would loosen the default {default.sign} {default.threshold:g}; "
                           f"a recipe may only tighten a bar")
        by_name[name] = wanted
    return [by_name[bar.name] for bar in defaults]


def check_bars(bars: list[Bar], figures: dict[str, float]) -> list[BarCheck]:
    """The bars that ``figures`` fail (empty: every bar holds). Pure."""
    return [c for c in evaluate(bars, figures) if not c.met]


def evaluate(bars: list[Bar], figures: dict[str, float], source: str = "forged") -> list[BarCheck]:
    """Every bar with its figure and verdict."""
    return [BarCheck(bar=bar, figure=figures.get(bar.metric), met=bar.met(figures.get(bar.metric)), source=source)
            for bar in bars]


def failure_message(bars: list[Bar], attempts: list[Attempt]) -> str:
    """One line for a forge whose every attempt failed: the bar, its threshold and the best figure reached.

    Names the first bar no attempt met; when each bar was met by some attempt but never all at once, the bar
    that failed most often."""
    best = {}
    for bar in bars:
        for attempt in attempts:
            best[bar.name] = bar.closer(best.get(bar.name), attempt.figures.get(bar.metric))
    never = [bar for bar in bars if not bar.met(best[bar.name])]
    if never:
        bar, together = never[0], ""
    else:
        bar = max(bars, key=lambda b: sum(not b.met(a.figures.get(b.metric)) for a in attempts))
        together = " (each bar was met by some attempt, never all at once)"
    figure = best[bar.name]
    got = "no figure reported" if figure is None else f"the best figure reached {figure:.4f}"
    return (f"no forging attempt of {len(attempts)} met bar {bar.name} {bar.sign} {bar.threshold:g}: {got}"
            f"{together}; change the recipe (e.g. train longer) or raise max_attempts")


__all__ = ["Bar", "BarCheck", "BarError", "Attempt", "QualityRecord", "QualitySummary", "min_bar", "max_bar",
           "tighten", "check_bars", "evaluate", "failure_message"]
