"""The strong labelfn solver recovers a simple rule from model queries alone, within its query budget."""

import numpy as np
import pytest

from interpctf.bundle import open_challenge
from interpctf.grading import grade_file
from interpctf.kinds.labelfn.solvers.bands import apply_band, fit_band
from interpctf.solvers.budget import SolverBudget, BudgetExceeded, QueryMeter
from interpctf.solvers.registry import get_solver


def test_recovers_a_simple_pairs_rule(small_pairs):
    answer = get_solver("labelfn/rulesearch").run(small_pairs / "bundle", SolverBudget())
    challenge = open_challenge(small_pairs / "bundle", small_pairs / "key.json")
    grade = grade_file(None, answer, challenge)
    assert grade.score == 1.0 and grade.solved  # the rule itself, beyond the model
    assert grade.details["model_agreement_with_secret"] < 1.0
    assert "x - y" in answer.data.decode() or "abs(x - y)" in answer.data.decode()


def test_query_budget_is_respected(small_pairs):
    from interpctf.kinds.labelfn.solvers.oracle import Oracle

    oracle = Oracle(small_pairs / "bundle", QueryMeter(SolverBudget(max_queries=100)))
    labels, margins = oracle.query(np.array([[0, 20], [5, 5]]))
    assert labels.tolist() == [1, 0] and margins[0] > 0 > margins[1]
    with pytest.raises(BudgetExceeded):
        oracle.query(np.zeros((99, 2), dtype=np.int64))
    # a budget below the whole domain still gives an answer, from a sample
    answer = get_solver("labelfn/rulesearch").run(small_pairs / "bundle", SolverBudget(max_queries=300))
    assert b"def label(x, y)" in answer.data


def test_band_fit_finds_thresholds_and_bands():
    values = np.arange(20)
    band = fit_band(values, (values >= 12).astype(int), np.ones(20))
    assert (band.lo, band.inside, band.agreement) == (12, 1, 1.0) and np.isinf(band.hi)
    inside = ((values >= 4) & (values < 9)).astype(int)
    band = fit_band(values, 1 - inside, np.ones(20))
    assert (band.lo, band.hi, band.inside) == (4, 9, 0)
    assert apply_band(band, values).tolist() == (1 - inside).tolist()
