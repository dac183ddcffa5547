"""The solver registry: every kind's baselines behind one interface with their access, one-line errors."""

import pytest

from interpctf.errors import InterpctfError
from interpctf.kinds import get_kind
from interpctf.solvers.budget import SolverBudget, BudgetExceeded, QueryMeter, parse_budget
from interpctf.solvers.registry import get_solver, solver_names, solvers_for


def test_kind_baselines_are_wrapped_with_their_access():
    names = solver_names()
    for kind_name in ("labelfn", "trojan"):
        kind = get_kind(kind_name)
        assert isinstance(kind.baselines(), dict)  # unchanged: other code iterates it
        for baseline in kind.baselines():
            entry = get_solver(f"{kind_name}/{baseline}")
            assert entry.kind == kind_name and entry.access == kind.baseline_access(baseline)
    assert get_solver("trojan/neural_cleanse").access == "white-box"
    assert get_solver("labelfn/blackbox").access == "black-box"
    assert {"reference", "trivial", "labelfn/rulesearch"} <= set(names)
    assert get_solver("reference").access == "key"
    assert set(solvers_for("labelfn")) == {n for n in names if "/" not in n or n.startswith("labelfn/")}


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and text
    return text


def test_unknown_solver_is_a_one_line_error():
    with pytest.raises(InterpctfError) as exc:
        get_solver("labelfn/oracle")
    assert "unknown solver 'labelfn/oracle'" in _one_line(exc) and "labelfn/rulesearch" in str(exc.value)


@pytest.mark.parametrize("values, field", [({"seconds": 0}, "seconds"), ({"seconds": -5}, "seconds"),
                                           ({"max_queries": 0}, "max_queries"), ({"seconds": "soon"}, "seconds")])
def test_bad_budget_is_a_one_line_error(values, field):
    with pytest.raises(InterpctfError) as exc:
        parse_budget(**values)
    assert _one_line(exc).startswith(f"bad budget: {field}:")


def test_query_meter_enforces_the_budget():
    meter = QueryMeter(SolverBudget(max_queries=10))
    meter.spend(6)
    assert meter.remaining() == 4 and not meter.allows(5)
    with pytest.raises(BudgetExceeded) as exc:
        meter.spend(5)
    assert "limit 10" in _one_line(exc)
    assert QueryMeter(SolverBudget()).allows(10**9)


def test_solver_refuses_a_challenge_of_another_kind(small_pairs):
    with pytest.raises(InterpctfError) as exc:
        get_solver("trojan/constant").run(small_pairs / "bundle", SolverBudget())
    assert _one_line(exc) == "solver trojan/constant solves trojan challenges, not labelfn"
    with pytest.raises(InterpctfError, match="needs the challenge's key"):
        get_solver("reference").run(small_pairs / "bundle", SolverBudget())
