"""SAE metrics as pure functions of arrays. Each one is tested against a case computed by hand.

Conventions: activations are rows (n_samples, d); dictionaries are rows (n_atoms, d); codes are (n_samples, n_latents).
Every function takes torch tensors or numpy arrays and returns a Python float (or a numpy array for per-item values),
so the same definitions serve training-time logging, validation, test submission and the tests.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

ArrayLike = np.ndarray | torch.Tensor


def _np(a: ArrayLike) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().double().numpy()
    return np.asarray(a, dtype=np.float64)


def explained_variance(x: ArrayLike, x_hat: ArrayLike) -> float:
    """``1 - E||x - x_hat||^2 / (E||x||^2 - ||E x||^2)`` (docs/design.md).

    Numerator and denominator are averaged over the whole set separately. Averaging a per-sample ratio, or measuring
    variance around zero instead of around the mean, inflates the figure; this is the definition that cannot be.
    """
    x, x_hat = _np(x), _np(x_hat)
    residual = ((x - x_hat) ** 2).sum(axis=1).mean()
    total = (x**2).sum(axis=1).mean() - (x.mean(axis=0) ** 2).sum()
    if total <= 0:
        raise ValueError("explained variance is undefined for constant activations")
    return float(1.0 - residual / total)


def mse(x: ArrayLike, x_hat: ArrayLike) -> float:
    """Mean over samples of the summed squared error."""
    x, x_hat = _np(x), _np(x_hat)
    return float(((x - x_hat) ** 2).sum(axis=1).mean())


def l0(codes: ArrayLike) -> float:
    """Mean number of non-zero latents per sample."""
    return float((_np(codes) != 0).sum(axis=1).mean())


def firing_counts(codes: ArrayLike) -> np.ndarray:
    """How many samples each latent fires on (non-zero)."""
    return (_np(codes) != 0).sum(axis=0).astype(np.int64)


def dead_fraction(codes: ArrayLike) -> float:
    """Fraction of latents that fire on no sample of the set."""
    counts = firing_counts(codes)
    return float((counts == 0).mean())


def cosine_matrix(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Cosine similarity between every row of ``a`` and every row of ``b``; zero rows give 0."""
    a, b = _np(a), _np(b)
    an = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    bn = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return an @ bn.T


def max_cosine_per_feature(true_features: ArrayLike, dictionary: ArrayLike) -> np.ndarray:
    """For each true feature, the largest signed cosine with any dictionary atom.

    Signed on purpose: SAE latents are non-negative, so an atom pointing at ``-f`` represents a different feature
    than ``f`` and must not count as recovering it.
    """
    return cosine_matrix(true_features, dictionary).max(axis=1)


def mmcs(true_features: ArrayLike, dictionary: ArrayLike) -> float:
    """Mean max cosine similarity of the true features against the learned dictionary (rows = decoder directions)."""
    return float(max_cosine_per_feature(true_features, dictionary).mean())


def hungarian_match(similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the one-to-one matching that maximizes the summed similarity."""
    rows, cols = linear_sum_assignment(np.asarray(similarity, dtype=np.float64), maximize=True)
    return rows, cols


def mcc_from_correlations(corr: ArrayLike) -> float:
    """Mean correlation coefficient: Hungarian matching on |corr| (rows = true features, columns = latents).

    The mean is over all true features, so a feature left without a latent (fewer latents than features) counts 0.
    """
    c = np.abs(_np(corr))
    rows, cols = hungarian_match(c)
    return float(c[rows, cols].sum() / c.shape[0])


def correlation_matrix(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Pearson correlation between every column of ``a`` and every column of ``b``; constant columns give 0."""
    a, b = _np(a), _np(b)
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    an = np.linalg.norm(a, axis=0)
    bn = np.linalg.norm(b, axis=0)
    cov = a.T @ b
    denom = np.outer(an, bn)
    return np.divide(cov, denom, out=np.zeros_like(cov), where=denom > 1e-12)


def mcc(true_codes: ArrayLike, codes: ArrayLike) -> float:
    """MCC between the true feature coefficients and the SAE's latent activations on the same samples."""
    return mcc_from_correlations(correlation_matrix(true_codes, codes))


def per_feature_recall(true_codes: ArrayLike, codes: ArrayLike, true_features: ArrayLike,
                       dictionary: ArrayLike) -> np.ndarray:
    """For each true feature: of the samples where it fires, the fraction where its matched latent fires too.

    Latents are matched one-to-one to features by Hungarian matching on decoder cosine, so one latent cannot be
    credited for several features.
    """
    t, c = _np(true_codes) != 0, _np(codes) != 0
    rows, cols = hungarian_match(cosine_matrix(true_features, dictionary))
    recall = np.zeros(t.shape[1])
    fired = t.sum(axis=0)
    for f, latent in zip(rows, cols):
        if fired[f]:
            recall[f] = (t[:, f] & c[:, latent]).sum() / fired[f]
    return recall


def loss_recovered(clean: float, ablated: float, patched: float) -> float:
    """``(ablated - patched) / (ablated - clean)``: 1 when splicing the SAE in costs nothing, 0 when it is as bad
    as ablating the layer. Used for CE loss; with accuracies (higher is better) the same formula holds."""
    if ablated == clean:
        raise ValueError("loss recovered is undefined when ablation does not change the loss")
    return float((ablated - patched) / (ablated - clean))


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(logits: ArrayLike, targets: ArrayLike) -> float:
    """Mean over rows of ``-log softmax(logits)[target]``: next-token CE when each row is one predicted position."""
    logp = _log_softmax(_np(logits))
    t = np.asarray(targets, dtype=np.int64)
    return float(-logp[np.arange(t.size), t].mean())


def kl_divergence(ref_logits: ArrayLike, logits: ArrayLike) -> float:
    """Mean over rows of ``KL(softmax(ref_logits) || softmax(logits))``: how far a patched model's next-token
    distribution moved from the clean one (the direction SAELens and SAEBench use)."""
    ref, other = _log_softmax(_np(ref_logits)), _log_softmax(_np(logits))
    return float((np.exp(ref) * (ref - other)).sum(axis=1).mean())


def kl_score(kl_patched: float, kl_ablated: float) -> float:
    """SAEBench's KL divergence score ``1 - KL_patched / KL_ablated`` (both against the clean model): 1 when
    splicing changes no prediction, 0 when it moves them as far as zero-ablating the site."""
    if kl_ablated <= 0:
        raise ValueError("KL score is undefined when ablation does not change the predictions")
    return float(1.0 - kl_patched / kl_ablated)


def class_purity(codes: ArrayLike, labels: ArrayLike, top_n: int = 20, min_active: int = 1) -> float:
    """Mean over live latents of the share of the most common class among the latent's ``top_n`` activations.

    Latents firing on fewer than ``min_active`` samples are left out; with ``min_active = top_n`` a latent that
    fires once cannot count as perfectly pure."""
    c, y = _np(codes), np.asarray(labels)
    purities = []
    for j in range(c.shape[1]):
        col = c[:, j]
        active = np.flatnonzero(col > 0)
        if active.size < max(min_active, 1):
            continue
        top = active[np.argsort(-col[active], kind="stable")[:top_n]]
        purities.append(np.bincount(y[top]).max() / top.size)
    return float(np.mean(purities)) if purities else 0.0


def normalized_score(value: float, baseline: float, reference: float) -> float:
    """0 at the baseline config's value, 1 at the reference config's, linear between (and beyond)."""
    if reference == baseline:
        raise ValueError("baseline and reference anchors must differ")
    return float((value - baseline) / (reference - baseline))


def sparse_probe_accuracy(train_codes: ArrayLike, train_labels: ArrayLike, eval_codes: ArrayLike,
                          eval_labels: ArrayLike, k: int) -> float:
    """Accuracy of a logistic-regression probe that may read only ``k`` latents.

    The k latents are chosen on the training codes alone (largest ANOVA F statistic across classes), so the probe
    measures whether class information sits in a few latents, not whether the whole code is linearly separable.
    """
    from sklearn.feature_selection import f_classif
    from sklearn.linear_model import LogisticRegression

    xtr, xev = _np(train_codes), _np(eval_codes)
    import warnings

    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dead latents are constant columns; their F statistic is NaN, set to 0 below
        f_stat, _ = f_classif(xtr, np.asarray(train_labels))
    f_stat = np.nan_to_num(f_stat, nan=0.0, posinf=0.0)
    chosen = np.argsort(-f_stat, kind="stable")[:k]
    probe = LogisticRegression(max_iter=2000)
    probe.fit(xtr[:, chosen], np.asarray(train_labels))
    return float((probe.predict(xev[:, chosen]) == np.asarray(eval_labels)).mean())
