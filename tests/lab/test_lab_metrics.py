"""Each metric against a case computed by hand."""

import numpy as np
import pytest
import torch

from interpctf.lab import metrics as M


def test_explained_variance_by_hand():
    x = np.array([[1.0, 0.0], [3.0, 2.0]])
    x_hat = np.array([[1.0, 1.0], [3.0, 2.0]])
    # E||x - x_hat||^2 = (1 + 0) / 2 = 0.5
    # E||x||^2 = (1 + 13) / 2 = 7; ||E x||^2 = 2^2 + 1^2 = 5; denominator 2
    assert M.explained_variance(x, x_hat) == pytest.approx(1 - 0.5 / 2)


def test_explained_variance_is_not_measured_around_zero():
    # A constant offset is variance-free: predicting the mean explains nothing (0), though it is close to x.
    x = np.array([[10.0], [12.0]])
    assert M.explained_variance(x, np.full_like(x, 11.0)) == pytest.approx(0.0)
    assert M.explained_variance(x, x) == 1.0


def test_l0_and_dead_fraction_by_hand():
    codes = torch.tensor([[0.0, 2.0, 0.0, 0.0], [1.0, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    assert M.l0(codes) == pytest.approx((1 + 2 + 0) / 3)
    assert M.dead_fraction(codes) == pytest.approx(2 / 4)
    assert M.firing_counts(codes).tolist() == [1, 2, 0, 0]


def test_mmcs_perfect_permuted_negated_random():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(20, 8))
    truth /= np.linalg.norm(truth, axis=1, keepdims=True)
    assert M.mmcs(truth, truth) == pytest.approx(1.0)
    assert M.mmcs(truth, 3.0 * truth[rng.permutation(20)]) == pytest.approx(1.0)  # order and scale do not matter
    assert M.mmcs(truth, rng.normal(size=(20, 8))) < 0.8


def test_mmcs_negated_orthonormal_dictionary_is_zero():
    # cos(e_i, -e_j) = -1 on the diagonal, 0 elsewhere: the best match for every feature has cosine 0.
    assert M.mmcs(np.eye(3), -np.eye(3)) == pytest.approx(0.0)


def test_mmcs_partial_by_hand():
    truth = np.eye(2)
    dictionary = np.array([[1.0, 1.0]])  # 45 degrees from both
    assert M.mmcs(truth, dictionary) == pytest.approx(np.sqrt(0.5))


def test_mcc_hungarian_3x3_by_hand():
    corr = np.array([[0.9, 0.8, 0.1],
                     [0.85, 0.2, 0.3],
                     [0.1, 0.7, -0.6]])
    # Greedy row-wise max would take (0,0)=0.9 then (1,?)... The best one-to-one matching by |corr|:
    # (0,1)=0.8 + (1,0)=0.85 + (2,2)=0.6 = 2.25 beats (0,0)+(1,2)+(2,1) = 0.9+0.3+0.7 = 1.9.
    assert M.mcc_from_correlations(corr) == pytest.approx(2.25 / 3)


def test_mcc_of_identical_codes_is_one_and_fewer_latents_count_zero():
    rng = np.random.default_rng(1)
    codes = rng.random((200, 4)) * (rng.random((200, 4)) < 0.3)
    assert M.mcc(codes, codes[:, [2, 0, 3, 1]]) == pytest.approx(1.0)
    assert M.mcc(codes, codes[:, :2]) == pytest.approx(0.5)


def test_per_feature_recall_by_hand():
    truth = np.eye(2)
    dictionary = np.array([[0.0, 1.0], [1.0, 0.0]])  # latent 0 is feature 1, latent 1 is feature 0
    true_codes = np.array([[1, 0], [1, 1], [0, 1], [1, 0]], dtype=float)
    codes = np.array([[0, 1], [1, 0], [1, 0], [0, 0]], dtype=float)
    # feature 0 fires on samples 0,1,3; its latent (1) fires on sample 0 only -> 1/3
    # feature 1 fires on samples 1,2; its latent (0) fires on both -> 1
    assert M.per_feature_recall(true_codes, codes, truth, dictionary).tolist() == pytest.approx([1 / 3, 1.0])


def test_loss_recovered_by_hand():
    assert M.loss_recovered(clean=1.0, ablated=3.0, patched=1.5) == pytest.approx(0.75)
    assert M.loss_recovered(clean=0.9, ablated=0.1, patched=0.7) == pytest.approx(0.75)  # accuracies work too
    with pytest.raises(ValueError):
        M.loss_recovered(1.0, 1.0, 1.0)


def test_class_purity_by_hand():
    codes = np.array([[3.0, 0.0], [2.0, 1.0], [1.0, 0.0], [0.0, 2.0]])
    labels = np.array([0, 0, 1, 1])
    # latent 0 top-2: samples 0,1 (labels 0,0) -> 1.0; latent 1 top-2: samples 3,1 (labels 1,0) -> 0.5
    assert M.class_purity(codes, labels, top_n=2) == pytest.approx(0.75)



def test_class_purity_leaves_out_latents_firing_too_rarely():
    codes = np.array([[3.0, 5.0], [2.0, 0.0], [1.0, 0.0]])
    labels = np.array([0, 0, 1])
    # latent 0 top-3: labels 0,0,1 -> 2/3; latent 1 fires once: pure by default, left out with min_active=2
    assert M.class_purity(codes, labels, top_n=3) == pytest.approx((2 / 3 + 1.0) / 2)
    assert M.class_purity(codes, labels, top_n=3, min_active=2) == pytest.approx(2 / 3)
    assert M.class_purity(codes, labels, top_n=3, min_active=4) == 0.0  # no latent qualifies


def test_cross_entropy_by_hand():
    logits = np.array([[0.0, 0.0], [np.log(3.0), 0.0]])
    # row 0: p(0) = 1/2 -> ln 2; row 1: p(1) = 1/4 -> ln 4; mean 1.5 ln 2
    assert M.cross_entropy(logits, [0, 1]) == pytest.approx(1.5 * np.log(2.0))
    assert M.cross_entropy(torch.tensor(logits) + 100.0, torch.tensor([0, 1])) == pytest.approx(1.5 * np.log(2.0))


def test_kl_divergence_by_hand():
    ref = np.array([[0.0, 0.0]])              # p = (1/2, 1/2)
    other = np.array([[np.log(3.0), 0.0]])    # q = (3/4, 1/4)
    # KL(p || q) = 1/2 ln(2/3) + 1/2 ln 2 = 1/2 ln(4/3); the other direction differs: 3/4 ln(3/2) + 1/4 ln(1/2)
    assert M.kl_divergence(ref, other) == pytest.approx(0.5 * np.log(4 / 3))
    assert M.kl_divergence(other, ref) == pytest.approx(0.75 * np.log(1.5) + 0.25 * np.log(0.5))
    assert M.kl_divergence(ref, ref + 7.0) == pytest.approx(0.0, abs=1e-12)  # a shift of the logits changes nothing


def test_kl_score_by_hand():
    assert M.kl_score(kl_patched=0.25, kl_ablated=1.0) == pytest.approx(0.75)
    assert M.kl_score(0.0, 2.0) == 1.0 and M.kl_score(2.0, 2.0) == 0.0
    with pytest.raises(ValueError):
        M.kl_score(0.1, 0.0)

def test_sparse_probe_uses_only_k_latents():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    codes = rng.random((400, 10))
    codes[:, 7] = y + 0.1 * rng.random(400)  # only latent 7 carries the class
    assert M.sparse_probe_accuracy(codes[:300], y[:300], codes[300:], y[300:], k=1) == 1.0


def test_normalized_score():
    assert M.normalized_score(0.5, 0.0, 1.0) == 0.5
    assert M.normalized_score(0.9, 0.5, 0.9) == pytest.approx(1.0)
    assert M.normalized_score(0.5, 0.5, 0.9) == 0.0
