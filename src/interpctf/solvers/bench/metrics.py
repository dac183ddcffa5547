"""Pure scoring functions of the benchmark."""

from statistics import mean


def normalize(raw: float, floor: float, top: float) -> float | None:
    """Place ``raw`` on the challenge's own scale: the trivial answer's score is 0, the key's own answer's is 1.

    None when the scale is degenerate (the trivial answer already scores as well as the key's), since no solver
    can then be told apart from the trivial one. Not clipped: worse than trivial is negative.
    """
    span = top - floor
    if span <= 1e-9:
        return None
    return (raw - floor) / span


def mean_normalized(values: list[float | None]) -> float | None:
    """Mean over the runs that have a normalized score; a failed run counts as 0 (no better than trivial)."""
    kept = [0.0 if v is None else v for v in values]
    return mean(kept) if kept else None
