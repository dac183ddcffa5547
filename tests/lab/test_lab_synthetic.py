"""The toy data: the firing probabilities and structure it claims."""

import numpy as np
import pytest
import torch

from interpctf.lab.synthetic import ToyGenerator, ToySpec, zipf_probabilities


def test_zipf_probabilities_span_and_mean_active():
    p = zipf_probabilities(512, 1.0, 0.3, 0.01)
    assert p[0].item() == pytest.approx(0.3) and p[-1].item() == pytest.approx(0.01)
    assert (p[:-1] >= p[1:]).all()
    assert p.sum().item() == pytest.approx(6.8, abs=0.05)  # docs/design.md: about 6.8 active per sample


def test_features_are_unit_and_samples_are_their_sums():
    gen = ToyGenerator(ToySpec())
    assert torch.allclose(gen.features.norm(dim=1), torch.ones(512))
    x, codes = gen.sample(2000, np.random.default_rng(0), with_codes=True)
    assert torch.allclose(x, codes @ gen.features, atol=1e-5)
    assert (codes != 0).sum(1).float().mean().item() == pytest.approx(6.8, abs=0.3)


def test_same_rng_seed_same_batch():
    gen = ToyGenerator(ToySpec())
    a = gen.sample(64, np.random.default_rng(5))
    b = gen.sample(64, np.random.default_rng(5))
    assert torch.equal(a, b)


def test_hierarchy_children_fire_only_with_parent():
    gen = ToyGenerator(ToySpec(n_parents=4, children_per_parent=3, max_prob=0.5))
    _, codes = gen.sample(5000, np.random.default_rng(0), with_codes=True)
    fires = codes != 0
    for child in (gen.parent_of >= 0).nonzero().squeeze(1).tolist():
        parent = int(gen.parent_of[child])
        assert not (fires[:, child] & ~fires[:, parent]).any()


def test_correlation_raises_cofiring_but_keeps_marginals():
    rng = np.random.default_rng(0)
    plain = ToyGenerator(ToySpec(n_features=8, d=4, max_prob=0.3, min_prob=0.2))
    corr = ToyGenerator(ToySpec(n_features=8, d=4, max_prob=0.3, min_prob=0.2, correlation=0.8, correlation_group=2))
    _, a = plain.sample(20000, rng, with_codes=True)
    _, b = corr.sample(20000, rng, with_codes=True)
    fa, fb = (a != 0).float(), (b != 0).float()
    assert fb.mean(0).numpy() == pytest.approx(corr.probs.numpy(), abs=0.02)
    assert (fb[:, 0] * fb[:, 1]).mean() > 1.5 * (fa[:, 0] * fa[:, 1]).mean()
