"""The streetlight audit of hints: arrays found in a hint's text, and why a hint that shows the digits
challenge's secret image is flagged (the 2023 case) while one that does not passes."""

import numpy as np
import pytest

from interpctf.audit import hint_arrays
from interpctf.errors import BadAnswer
from interpctf.kinds import get_kind
from interpctf.kinds.labelfn.solvers.prototype import best_prototype, distances


def test_arrays_are_found_in_prose_and_code():
    text = "Look at [this] image: [[0, 1], [2, 3]] and the value [7.5]; ragged [1, [2]] gives its inner part."
    shapes = [a.shape for a in hint_arrays(text)]
    assert shapes == [(2, 2), (1,), (1,)]
    assert hint_arrays("no data here") == []


def test_a_huge_hint_is_refused_in_one_line():
    with pytest.raises(BadAnswer, match="characters"):
        hint_arrays("x" * 70_000)


def test_labelfn_offers_its_rule_search_to_the_audit_and_trojan_offers_none():
    assert set(get_kind("labelfn").hint_solvers()) == {"labelfn/rulesearch"}
    assert get_kind("trojan").hint_solvers() == {}


def _l1_band_world(seed: int = 0):
    """Labels from an L1 band around a secret image that is none of the public inputs (a blend of two)."""
    from interpctf.data.digits import digit_images

    real = digit_images()[:400]
    secret = (real[3] + real[17]) / 2
    d = distances(real, secret[None], "l1")[0]
    lo, hi = np.quantile(d, [0.3, 0.7])
    labels = ((d >= lo) & (d < hi)).astype(np.int64)
    return real, secret, labels


def test_the_secret_image_as_a_hint_lets_the_prototype_search_recover_the_rule():
    """What the audit's labelfn/rulesearch run does with a hint: with the secret image among the candidates the
    band explains every label; with another image (a hint that does not give it away) it does not."""
    real, secret, labels = _l1_band_world()
    weights = np.ones(len(labels))
    with_hint = best_prototype(np.concatenate([secret[None], real[:50]]), real, labels, weights)
    assert with_hint.band.agreement == 1.0 and np.array_equal(with_hint.prototype, secret)
    other = (real[5] + real[9]) / 2
    without = best_prototype(np.concatenate([other[None], real[:50]]), real, labels, weights)
    assert without.band.agreement < 0.96  # below PROTOTYPE_FIT: the solver falls back to a tree
