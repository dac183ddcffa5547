"""Fitting one threshold rule on one feature: ``lo <= f < hi`` (or its complement) that best explains the labels.

Pure numpy. A band with an open end is a plain threshold, so this covers ``f < t``, ``f >= t``, ``f == c`` and
``f != c`` too. Agreement is weighted: with unique values u_k, let g_k = (weight of label-1 rows) - (weight of
label-0 rows) at u_k; the best "1 inside" band is the maximum-sum run of g, the best "1 outside" band the
maximum-sum run of -g.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Band:
    lo: float  # -inf: no lower end
    hi: float  # inf: no upper end
    inside: int  # the label inside [lo, hi)
    agreement: float  # weighted agreement with the labels on the rows it was fitted to


def _max_run(g: np.ndarray) -> tuple[float, int, int]:
    """Maximum-sum contiguous run of ``g`` as (sum, start, end) with end exclusive; an empty run sums to 0.

    With prefix sums S (S[0] = 0), the best run ending before j sums to S[j] - min(S[:j+1])."""
    prefix = np.concatenate([[0.0], np.cumsum(g)])
    lowest = np.minimum.accumulate(prefix)
    gains = prefix - lowest
    end = int(np.argmax(gains))
    if gains[end] <= 0:
        return 0.0, 0, 0
    start = int(np.argmin(prefix[:end + 1]))
    return float(gains[end]), start, end


def fit_band(values: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> Band:
    uniq, inverse = np.unique(values, return_inverse=True)
    signed = np.where(labels == 1, weights, -weights)
    g = np.bincount(inverse, weights=signed, minlength=len(uniq))
    ones, zeros = float(weights[labels == 1].sum()), float(weights[labels == 0].sum())
    total = ones + zeros or 1.0
    in_sum, a, b = _max_run(g)
    out_sum, c, d = _max_run(-g)
    if zeros + in_sum >= ones + out_sum:
        inside, gain, s, e = 1, zeros + in_sum, a, b
    else:
        inside, gain, s, e = 0, ones + out_sum, c, d
    lo = -np.inf if s == 0 else _between(uniq, s)
    hi = np.inf if e >= len(uniq) else _between(uniq, e)
    return Band(lo=lo, hi=hi, inside=inside, agreement=gain / total)


def _between(uniq: np.ndarray, k: int) -> float:
    """A cut between unique values k-1 and k; on integers it is the integer k-th value itself."""
    left, right = float(uniq[k - 1]), float(uniq[k])
    return right if float(right).is_integer() and float(left).is_integer() else (left + right) / 2


def apply_band(band: Band, values: np.ndarray) -> np.ndarray:
    inside = (values >= band.lo) & (values < band.hi)
    return np.where(inside, band.inside, 1 - band.inside).astype(np.int64)


def band_source(band: Band, expr: str) -> str:
    """A Python boolean expression for the band on ``expr``."""
    lo, hi = np.isfinite(band.lo), np.isfinite(band.hi)
    if lo and hi:
        cond = f"{_num(band.lo)} <= {expr} < {_num(band.hi)}"
        return f"({cond})" if band.inside == 1 else f"(not ({cond}))"
    if lo:  # [lo, inf): inside is "expr >= lo"
        return f"({expr} >= {_num(band.lo)})" if band.inside == 1 else f"({expr} < {_num(band.lo)})"
    if hi:
        return f"({expr} < {_num(band.hi)})" if band.inside == 1 else f"({expr} >= {_num(band.hi)})"
    return "True" if band.inside == 1 else "False"


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))
