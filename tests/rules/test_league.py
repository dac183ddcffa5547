"""League scoring as pure functions: exact values, the shape of the proposer curve, round and cumulative
standings, and the collusion signal."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interpctf.rules.league import (LeagueRules, Proposal, collusion_flags, cumulative, proposer_points,
                                    score_round, solver_points)


@given(st.integers(min_value=1, max_value=60))
def test_proposer_is_zero_at_the_extremes(n):
    assert proposer_points(n, 0) == 0
    assert proposer_points(n, n - 1) == 0


@given(st.integers(min_value=3, max_value=60), st.data())
def test_proposer_peaks_at_one_and_falls_to_min(n, data):
    k = data.draw(st.integers(min_value=0, max_value=n - 1))
    assert proposer_points(n, 1) == 3
    assert proposer_points(n, k) <= proposer_points(n, 1)
    if 1 <= k < n - 2:
        assert proposer_points(n, k) >= proposer_points(n, k + 1)
    if n >= 4:
        assert proposer_points(n, n - 2) == pytest.approx(1)


@given(st.integers(min_value=3, max_value=40), st.floats(0, 10), st.floats(0, 10))
def test_custom_rules_keep_the_shape(n, a, b):
    rules = LeagueRules(proposer_max=max(a, b), proposer_min=min(a, b))
    values = [proposer_points(n, k, rules) for k in range(n)]
    assert values[0] == 0 and values[-1] == 0
    assert max(values) == values[1] == max(a, b)


def test_exact_values_and_small_leagues():
    assert [proposer_points(6, k) for k in range(6)] == pytest.approx([0, 3, 7 / 3, 5 / 3, 1, 0])
    assert [proposer_points(2, k) for k in range(2)] == [0, 0]  # one other team: solved or not, both extremes
    assert [proposer_points(3, k) for k in range(3)] == [0, 3, 0]  # k=1 is both the peak and n-2: max wins
    assert proposer_points(1, 0) == 0
    with pytest.raises(ValueError):
        proposer_points(4, 4)
    assert solver_points(1) == 2 and solver_points(3) == 1


def test_round_scores_ignore_self_solves_and_rank_ties():
    teams = [1, 2, 3, 4, 5]
    result = score_round(teams, [Proposal(10, proposer=1, solvers=frozenset({1, 2})),
                                 Proposal(11, proposer=2, solvers=frozenset({1, 3, 4, 5})),
                                 Proposal(12, proposer=3, solvers=frozenset({4, 5}))])
    points = {r.team: r.points for r in result.scores}
    # challenge 10: only team 2 (the proposer's own solve ignored) -> proposer 3, solver 1+1
    # challenge 11: all four others -> proposer 0, each solver 1
    # challenge 12: two of five others... k=2, n=5 -> 3 - 2*(1/2) = 2, solvers 1 each
    assert points == pytest.approx({1: 3 + 1, 2: 2, 3: 1 + 2, 4: 1 + 1, 5: 1 + 1})
    assert [(r.team, r.pos) for r in result.scores] == [(1, 1), (3, 2), (2, 3), (4, 3), (5, 3)]
    total = cumulative(teams, [result, result])
    assert total[0].team == 1 and total[0].points == pytest.approx(8)


def test_collusion_needs_the_same_single_solver_twice():
    history = {1: [Proposal(1, 1, frozenset({2}))], 2: [Proposal(2, 1, frozenset({2, 1}))],
               3: [Proposal(3, 1, frozenset({3}))], 4: [Proposal(4, 3, frozenset({2, 4}))]}
    flags = collusion_flags(history)
    assert [(f.proposer, f.solver, f.rounds) for f in flags] == [(1, 2, (1, 2))]
    assert collusion_flags({1: history[1], 3: history[3]}) == []
