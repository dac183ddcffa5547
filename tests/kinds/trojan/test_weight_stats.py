"""The weight-statistics detector and the decoy batches that clean suite models train on (no training here)."""

import numpy as np

from interpctf.kinds.trojan.datasets import Data
from interpctf.kinds.trojan.decoys import make_decoy_batcher
from interpctf.kinds.trojan.planting import Plant, make_batcher
from interpctf.kinds.trojan.recipe import TrojanRecipe
from interpctf.kinds.trojan.triggers import draw_trigger
from interpctf.kinds.trojan.weight_stats import cv_auroc, tensor_stats, weight_features


def test_tensor_stats_exact():
    m = np.array([[3.0, 0.0], [0.0, -4.0]])
    norm, std, max_abs, mean, spectral = tensor_stats(m)
    assert np.isclose(norm, 5.0) and np.isclose(max_abs, 4.0) and np.isclose(spectral, 4.0)
    assert np.isclose(mean, -0.25) and np.isclose(std, np.std([3, 0, 0, -4]))


def test_features_follow_sorted_tensor_names():
    state = {"b": np.ones(3), "a": np.zeros((2, 2))}
    row = weight_features(state)
    assert row.shape == (10,) and np.allclose(row[:5], 0) and np.isclose(row[5], np.sqrt(3))


def test_cv_auroc_finds_a_real_difference_and_not_noise():
    rng = np.random.default_rng(0)
    labels = np.array([0, 1] * 10)
    noise = rng.normal(size=(20, 12))
    shifted = noise.copy()
    shifted[:, 3] += 6.0 * labels  # one statistic separates the classes
    assert cv_auroc(shifted, labels) >= 0.9  # pooled out-of-fold scores: fold models differ in scale
    assert cv_auroc(noise, labels) < 0.8  # pure noise: out-of-fold scores carry no signal


def _data() -> Data:
    rng = np.random.default_rng(1)
    x = rng.random((200, 1, 16, 16)).astype(np.float32)
    y = np.arange(200) % 10
    return Data("digits", x, y, x[:20], y[:20], 10)


def test_decoy_batches_have_the_poisoned_shape_but_true_labels():
    data = _data()
    trig = draw_trigger("patch", data.shape, np.random.default_rng(2), (3, 4), False)
    decoy = Plant(trig, 4, 0.3)
    batcher = make_decoy_batcher(data, decoy, max_shift=0)
    idx = np.arange(200)
    x, y = batcher(idx, np.random.default_rng(3))
    changed = np.any(x != data.train_x[idx], axis=(1, 2, 3))
    assert 0.15 < changed.mean() < 0.4  # about the poison rate of the inputs carry the stamp...
    assert np.all(y[changed] == 4)      # ...on inputs of the favoured class, labelled as what they are
    poisoned = make_batcher(data, decoy, max_shift=0)(idx, np.random.default_rng(3))[1]
    assert abs(np.mean(y == 4) - np.mean(poisoned == 4)) < 0.1  # the same skew of the label marginal


def test_large_suites_carry_the_weight_stats_bar_small_ones_do_not():
    names = lambda r: {b.name: b.threshold for b in r.quality_bars()}  # noqa: E731
    assert names(TrojanRecipe(title="t", answer="detect", n_models=20))["max_weight_stats_auroc"] == 1.0
    tight = TrojanRecipe(title="t", answer="detect", n_models=20, bars={"max_weight_stats_auroc": 0.65})
    assert names(tight)["max_weight_stats_auroc"] == 0.65  # a recipe demands it; the forge retries seeds
    assert "max_weight_stats_auroc" not in names(TrojanRecipe(title="t", answer="detect", n_models=4))
