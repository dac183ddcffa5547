"""Weight statistics of a suite's models, and how well a cross-validated logistic regression on them tells the
trojaned models from the clean ones.

The cheapest white-box detector there is: per parameter tensor, its norm, standard deviation, largest absolute
value, mean and (for weight matrices) spectral norm. A suite whose trojaned models differ from its clean ones in
such figures (more steps, other data volume, a different initialisation) is solved without any interpretability,
so the forge measures it and holds it to a bar (``max_weight_stats_auroc``).

The measure is deliberately generous to the detector: it is fitted on the suite's own labels (stratified k-fold,
repeated, scored out of fold), the same information a solver gets by forging labelled suites with the published
procedure and other seeds. Pure functions of state dicts and labels; no torch import at module level.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from interpctf.kinds.trojan.metrics import auroc

STATS = ("norm", "std", "max_abs", "mean", "spectral")
CV_FOLDS = 5
CV_REPEATS = 10
LOGREG_C = 1.0


def tensor_stats(values: np.ndarray) -> list[float]:
    """The statistics of one parameter tensor, in the order of ``STATS`` (spectral norm: of the tensor seen as
    a matrix with one row per output unit; for a bias, its norm)."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    as_matrix = np.asarray(values, dtype=np.float64).reshape(values.shape[0], -1) if values.ndim > 1 else flat[None]
    spectral = float(np.linalg.norm(as_matrix, ord=2))
    return [float(np.linalg.norm(flat)), float(flat.std()), float(np.abs(flat).max()), float(flat.mean()), spectral]


def weight_features(state: Mapping[str, Any]) -> np.ndarray:
    """One feature row for a model: the statistics of every tensor, in the state dict's sorted key order."""
    row: list[float] = []
    for name in sorted(state):
        value = state[name]
        array = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
        row += tensor_stats(array)
    return np.asarray(row, dtype=np.float64)


def feature_names(state: Mapping[str, Any]) -> list[str]:
    return [f"{name}.{stat}" for name in sorted(state) for stat in STATS]


def _folds(labels: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """A fold number per sample, each class dealt round-robin after a shuffle (stratified)."""
    fold = np.zeros(len(labels), dtype=np.int64)
    for value in (0, 1):
        idx = rng.permutation(np.flatnonzero(labels == value))
        fold[idx] = np.arange(len(idx)) % k
    return fold


def out_of_fold_scores(features: np.ndarray, labels: Sequence[int], seed: int = 0, folds: int = CV_FOLDS,
                       repeats: int = CV_REPEATS) -> np.ndarray:
    """Each model's trojan probability from logistic regressions that never saw it, averaged over repeats of a
    stratified k-fold split (features standardised on the training folds only)."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    k = max(2, min(folds, int(np.bincount(y, minlength=2).min())))
    rng = np.random.default_rng(seed)
    total = np.zeros(len(y))
    for _ in range(repeats):
        fold = _folds(y, k, rng)
        for f in range(k):
            train, test = fold != f, fold == f
            mu, sd = x[train].mean(0), x[train].std(0) + 1e-12
            clf = LogisticRegression(C=LOGREG_C, max_iter=2000)
            clf.fit((x[train] - mu) / sd, y[train])
            total[test] += clf.predict_proba((x[test] - mu) / sd)[:, 1]
    return total / repeats


def cv_auroc(features: np.ndarray, labels: Sequence[int], seed: int = 0) -> float:
    """AUROC of the out-of-fold scores: what weight statistics alone reach on this suite."""
    return auroc(np.asarray(labels), out_of_fold_scores(features, labels, seed))


def best_single_auroc(features: np.ndarray, labels: Sequence[int]) -> float:
    """The best AUROC of one statistic on its own, either sign (in-sample: an upper bound, for reports)."""
    y = np.asarray(labels)
    scores = [auroc(y, features[:, j]) for j in range(features.shape[1])]
    return float(max(max(s, 1 - s) for s in scores))


def suite_weight_stats(models: Mapping[str, Any], labels: Mapping[str, int], seed: int = 0) -> dict[str, float]:
    """The figures a forged suite reports: the cross-validated AUROC and the best single statistic's."""
    ids = sorted(models)
    x = np.stack([weight_features(models[m].state_dict()) for m in ids])
    y = [labels[m] for m in ids]
    return {"weight_stats_auroc": cv_auroc(x, y, seed), "weight_stats_best_single_auroc": best_single_auroc(x, y)}


__all__ = ["STATS", "tensor_stats", "weight_features", "feature_names", "out_of_fold_scores", "cv_auroc",
           "best_single_auroc", "suite_weight_stats"]
