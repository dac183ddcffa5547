"""Search over small rules on named features: single bands, two bands joined by and/or, and shallow trees.

Every candidate is scored by weighted agreement with the model's labels less a price per unit of complexity
(``log(n) / 2n``, as in BIC): a rule that only gains by copying the model's own errors does not pay for itself.
"""

from dataclasses import dataclass

import numpy as np

from interpctf.kinds.labelfn.solvers.bands import apply_band, band_source, fit_band

TOP_ATOMS = 12


@dataclass(frozen=True)
class Candidate:
    expr: str  # a Python boolean expression over the feature expressions
    predictions: np.ndarray
    agreement: float
    complexity: int
    what: str


def _agreement(pred: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> float:
    return float(np.sum(weights * (pred == labels)) / (np.sum(weights) or 1.0))


def atoms(features: dict[str, np.ndarray], labels: np.ndarray, weights: np.ndarray) -> list[Candidate]:
    out = []
    for name, values in features.items():
        band = fit_band(values, labels, weights)
        pred = apply_band(band, values)
        out.append(Candidate(band_source(band, name), pred, _agreement(pred, labels, weights), 1, "band"))
    return sorted(out, key=lambda c: -c.agreement)


def pairs_of_atoms(features: dict[str, np.ndarray], labels: np.ndarray, weights: np.ndarray,
                   first: list[Candidate]) -> list[Candidate]:
    """For each strong first band A: ``A or B`` (B fitted where A says 0) and ``A and B`` (fitted where A says 1)."""
    out = []
    for a in first[:TOP_ATOMS]:
        for op, rest in (("or", a.predictions == 0), ("and", a.predictions == 1)):
            if rest.sum() == 0:
                continue
            for name, values in features.items():
                band = fit_band(values[rest], labels[rest], weights[rest])
                b = apply_band(band, values)
                pred = (a.predictions | b) if op == "or" else (a.predictions & b)
                out.append(Candidate(f"{a.expr} {op} {band_source(band, name)}", pred,
                                     _agreement(pred, labels, weights), 2, f"band {op} band"))
    return out


def tree(features: dict[str, np.ndarray], labels: np.ndarray, weights: np.ndarray, max_depth: int) -> Candidate:
    """A decision tree over the features, written out as nested conditional expressions."""
    from sklearn.tree import DecisionTreeClassifier

    names = list(features)
    matrix = np.stack([features[n] for n in names], axis=1).astype(np.float64)
    fitted = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=3, random_state=0)
    fitted.fit(matrix, labels, sample_weight=weights)
    t = fitted.tree_

    def emit(node: int) -> str:
        if t.children_left[node] == -1:
            return str(int(fitted.classes_[np.argmax(t.value[node][0])]))
        cond = f"{names[int(t.feature[node])]} <= {float(t.threshold[node])!r}"
        return f"({emit(int(t.children_left[node]))} if {cond} else {emit(int(t.children_right[node]))})"

    pred = fitted.predict(matrix).astype(np.int64)
    return Candidate(emit(0), pred, _agreement(pred, labels, weights), int(t.n_leaves), f"tree depth {max_depth}")


def penalized(candidate: Candidate, n: int) -> float:
    return candidate.agreement - candidate.complexity * np.log(max(n, 2)) / (2 * max(n, 2))


def choose(candidates: list[Candidate], n: int) -> Candidate:
    """The candidate with the best complexity-penalized agreement over ``n`` queried labels."""
    return max(candidates, key=lambda c: (penalized(c, n), -c.complexity))
