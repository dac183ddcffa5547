"""``labelfn/rulesearch``: query the model, search small rules that explain its labels, submit the best as code.

Pairs: query every pair the budget allows, fit bands, and/or pairs of bands and shallow trees over arithmetic
features (:mod:`pair_features`), keep the simplest that explains the confident labels. Digits: a band on the
distance to a prototype image, with a pixel tree as the fallback. Labels are weighted by the model's margin,
so its unsure (often wrong) answers count less.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from interpctf.data.pairs import all_pairs
from interpctf.kinds.labelfn.baselines import tree_source
from interpctf.kinds.labelfn.solvers import prototype, search
from interpctf.kinds.labelfn.solvers.oracle import Oracle, confidence_weights
from interpctf.kinds.labelfn.solvers.pair_features import pair_features
from interpctf.schema import AnswerFile
from interpctf.solvers.budget import QueryMeter, SolverBudget
from interpctf.solvers.entry import SolverEntry

# The prototype rule is kept if it explains this share of the (weighted) labels; else a pixel tree is used.
PROTOTYPE_FIT = 0.96
DIGITS_EXTRA_QUERIES = 5000  # the digits are 8x8 images (load_digits)


def _sample(n: int, meter: QueryMeter, seed: int = 0) -> np.ndarray:
    """Indices of the inputs to query: all of them if the budget allows, else a uniform sample."""
    room = meter.remaining()
    if room is None or room >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=room, replace=False))


def solve_pairs(oracle: Oracle) -> tuple[str, search.Candidate]:
    p = oracle.public.p
    inputs = all_pairs(p)[_sample(p * p, oracle.meter)]
    labels, margins = oracle.query(inputs)
    weights = confidence_weights(margins)
    features = pair_features(inputs[:, 0], inputs[:, 1], p)
    singles = search.atoms(features, labels, weights)
    candidates = singles + search.pairs_of_atoms(features, labels, weights, singles)
    candidates += [search.tree(features, labels, weights, depth) for depth in (3, 5, 8)]
    best = search.choose(candidates, len(labels))
    source = ("def label(x, y):\n"
              f"    # {best.what}; agrees with {best.agreement:.2%} of the model's labels (margin-weighted)\n"
              "    x, y = int(x), int(y)\n"
              f"    return int({best.expr})\n")
    return source, best


def solve_digits(oracle: Oracle, hinted: Sequence[np.ndarray] = ()) -> str:
    """``hinted``: images a hint gives away; they join the prototype candidates (and the queried inputs)."""
    from interpctf.data.digits import augment, digit_images

    real = digit_images()
    if hinted:
        real = np.concatenate([np.asarray(hinted, dtype=real.dtype), real])
    extra = augment(real, DIGITS_EXTRA_QUERIES, seed=4242)
    pool = np.concatenate([real, extra])
    images = pool[_sample(len(pool), oracle.meter)]
    labels, margins = oracle.query(images)
    weights = confidence_weights(margins)
    rule = prototype.best_prototype(np.asarray(real), images, labels, weights)
    if rule.band.agreement >= PROTOTYPE_FIT:
        return prototype.prototype_source(rule)

    return tree_source(images.reshape(len(images), -1), labels)


def rulesearch(bundle_dir: Path, budget: SolverBudget) -> AnswerFile:
    oracle = Oracle(bundle_dir, QueryMeter(budget))
    if oracle.domain.unpack:
        source, _ = solve_pairs(oracle)
    else:
        source = solve_digits(oracle)
    return AnswerFile("rulesearch.py", source.encode())


def rulesearch_with_hints(bundle_dir: Path, budget: SolverBudget, data: list[Any]) -> AnswerFile:
    """The same search with a hint's arrays: those shaped like the challenge's images become prototype
    candidates (pairs rules take no image, so a hint's data adds nothing the pair search does not query)."""
    oracle = Oracle(bundle_dir, QueryMeter(budget))
    if oracle.domain.unpack:
        return rulesearch(bundle_dir, budget)
    hinted = [a.reshape(8, 8) for a in (np.asarray(d, dtype=np.float64) for d in data) if a.size == 64]
    return AnswerFile("rulesearch.py", solve_digits(oracle, hinted).encode())


RULESEARCH = SolverEntry("labelfn/rulesearch", "labelfn", "black-box", rulesearch,
                         "searches small rules on input features that explain the model's labels")
