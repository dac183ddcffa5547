"""Features of an integer pair (x, y) that small rules are written in: arithmetic, comparisons, residues, bits.

Each feature is a Python expression over the ints ``x`` and ``y`` (the emitted answer uses it verbatim) and its
vectorized numpy value. Nothing here is drawn from a challenge: the moduli are small numbers and p itself.
"""

import numpy as np

SMALL_MODULI = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16)


def pair_features(x: np.ndarray, y: np.ndarray, p: int) -> dict[str, np.ndarray]:
    x, y = x.astype(np.int64), y.astype(np.int64)
    out = {
        "x": x, "y": y, "x + y": x + y, "x - y": x - y, "x * y": x * y, "abs(x - y)": np.abs(x - y),
        "max(x, y)": np.maximum(x, y), "min(x, y)": np.minimum(x, y), "x * x + y * y": x * x + y * y,
        "x * x - y * y": x * x - y * y, "2 * x + y": 2 * x + y, "x + 2 * y": x + 2 * y,
        "2 * x - y": 2 * x - y, "x - 2 * y": x - 2 * y, "x ^ y": x ^ y, "x & y": x & y, "x | y": x | y,
    }
    for m in sorted(set(SMALL_MODULI) | {p}):
        out[f"x % {m}"] = x % m
        out[f"y % {m}"] = y % m
        out[f"(x + y) % {m}"] = (x + y) % m
        out[f"(x - y) % {m}"] = (x - y) % m
        out[f"(x * y) % {m}"] = (x * y) % m
    return out
