"""Jam judging rules: review assignment (balanced, conflict-free, covering, deterministic), weighted scores,
z-normalization, bootstrap intervals and ranking."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interpctf.rules.jam import JamRules, Review, aggregate, bootstrap_interval, normalize_by_judge, weighted_score
from interpctf.rules.jam_assign import Judge, Project, assign_reviews, eligible, review_counts


@st.composite
def spread_instances(draw):
    """Projects of distinct teams; judges neutral or members of those teams (like participants judging)."""
    n_projects = draw(st.integers(min_value=2, max_value=12))
    n_judges = draw(st.integers(min_value=1, max_value=25))
    k = draw(st.integers(min_value=1, max_value=n_projects - 1))
    neutral = draw(st.lists(st.booleans(), min_size=n_judges, max_size=n_judges))
    projects = [Project(id=100 + i, team=i) for i in range(n_projects)]
    judges = [Judge(id=j, team=None if neutral[j] else j % n_projects) for j in range(n_judges)]
    return judges, projects, k, draw(st.integers(min_value=0, max_value=10**6))


@settings(max_examples=150, deadline=None)
@given(spread_instances())
def test_assignment_is_balanced_conflict_free_and_covering(instance):
    judges, projects, k, seed = instance
    out = assign_reviews(judges, projects, k, seed)
    by_id = {p.id: p for p in projects}
    for j in judges:
        assert len(out[j.id]) == k and len(set(out[j.id])) == k
        assert all(eligible(j, by_id[p]) for p in out[j.id])
    counts = review_counts(out)
    total = len(judges) * k
    lo, hi = total // len(projects), math.ceil(total / len(projects))
    assert all(lo <= counts.get(p.id, 0) <= hi for p in projects)
    if total >= len(projects):
        assert set(counts) == set(by_id)  # every project is reviewed
    assert assign_reviews(judges, projects, k, seed) == out  # deterministic by seed


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([None, 0, 1, 2]), min_size=1, max_size=12),
       st.lists(st.sampled_from([0, 1, 2]), min_size=1, max_size=8), st.integers(1, 6))
def test_any_instance_is_conflict_free_and_fills_each_judge(judge_teams, project_teams, k):
    judges = [Judge(i, t) for i, t in enumerate(judge_teams)]
    projects = [Project(50 + i, t) for i, t in enumerate(project_teams)]
    out = assign_reviews(judges, projects, k, seed=3)
    for j in judges:
        options = [p for p in projects if eligible(j, p)]
        assert len(out[j.id]) == min(k, len(options))
        assert set(out[j.id]) <= {p.id for p in options}


def test_seed_changes_the_assignment():
    judges = [Judge(i, None) for i in range(6)]
    projects = [Project(i, i) for i in range(10)]
    outs = {tuple(map(tuple, assign_reviews(judges, projects, 3, seed).values())) for seed in range(5)}
    assert len(outs) > 1


def test_weighted_score_uses_the_weights():
    rules = JamRules()
    ratings = {"ML safety": 10, "Interpretability": 4, "Novelty": 4, "Generality": 4, "Reproducibility": 4}
    assert weighted_score(ratings, rules.criteria) == pytest.approx((20 + 16) / 6)
    with pytest.raises(ValueError, match="Novelty"):
        weighted_score({k: v for k, v in ratings.items() if k != "Novelty"}, rules.criteria)


def test_normalization_evens_out_harsh_and_lenient_judges():
    # judge 1 is harsh, judge 2 lenient; both order the projects the same way
    reviews = [Review(1, 1, 2), Review(2, 1, 4), Review(1, 2, 8), Review(2, 2, 10)]
    z = normalize_by_judge(reviews)
    assert [r.score for r in z] == pytest.approx([-1, 1, -1, 1])
    assert normalize_by_judge([Review(1, 3, 7)])[0].score == 0


def test_bootstrap_interval_contains_the_mean_and_narrows_with_agreement():
    lo, hi = bootstrap_interval([5, 6, 7, 8, 9], 2000, 0.9, seed=1)
    assert lo < 7 < hi
    tight = bootstrap_interval([7, 7, 7.1, 6.9, 7], 2000, 0.9, seed=1)
    assert tight[1] - tight[0] < hi - lo
    assert bootstrap_interval([4.0], 100, 0.9, 0) == (4.0, 4.0)


def test_aggregate_ranks_and_leaves_unreviewed_last():
    reviews = [Review(1, 1, 6), Review(1, 2, 7), Review(2, 1, 9), Review(2, 2, 8)]
    results = aggregate([1, 2, 3], reviews, JamRules())
    assert [(r.project, r.rank) for r in results] == [(2, 1), (1, 2), (3, 0)]
    assert results[0].score == pytest.approx(8.5) and results[0].low <= 8.5 <= results[0].high
    assert math.isnan(results[2].score) and results[2].reviews == 0
