"""The study rules: questions, assignment, attention checks and the Wilson grade, checked directly."""

import math
from collections import Counter

import pytest

from interpctf.rules.study import (Question, assign_raters, attention_questions, candidates_for, careless_raters,
                                   grade_study, make_questions, rate, team_trojan, trojan_variant, wilson)

TRIGGERS = {f"t{i}": f"trig{i}" for i in range(4)}
POOL = [f"pool{i}" for i in range(10)]


def test_candidates_hold_the_truth_once_and_prefer_other_planted_triggers():
    shown, right = candidates_for("t0", TRIGGERS, POOL, seed=3)
    assert len(shown) == 8 == len(set(shown))
    assert shown[right] == "trig0"
    assert {"trig1", "trig2", "trig3"} <= set(shown)  # the other planted triggers come before the pool
    assert candidates_for("t0", TRIGGERS, POOL, seed=3) == (shown, right)  # seeded


def test_positions_are_shuffled_over_trojans():
    triggers = {f"t{i}": f"trig{i}" for i in range(40)}
    positions = Counter(candidates_for(t, triggers, [], seed=1)[1] for t in triggers)
    assert len(positions) >= 6  # not always the same slot


def test_too_small_a_pool_is_an_error_naming_it():
    with pytest.raises(ValueError, match="pool"):
        candidates_for("t0", TRIGGERS, POOL[:2], seed=0)


def test_questions_per_submission_and_trojan():
    qs = make_questions({1: (10, ["t0", "t1"]), 2: (20, ["t1"])}, TRIGGERS, POOL, seed=0)
    assert [(q.submission, q.trojan) for q in qs] == [(1, "t0"), (1, "t1"), (2, "t1")]
    assert qs[1].candidates == qs[2].candidates  # the same trojan: the same candidates for every submission


def test_assignment_conflict_free_covered_and_balanced():
    subs = {s: (s % 3, list(TRIGGERS)) for s in range(6)}  # teams 0, 1, 2
    qs = make_questions(subs, TRIGGERS, POOL, seed=0)
    raters = {r: r % 4 if r % 4 < 3 else None for r in range(7)}  # some raters are on teams, some not
    attn = attention_questions(TRIGGERS, POOL, 2, seed=0)
    plan = assign_raters(raters, qs, k=3, seed=5, attention=attn)
    by_id = {q.id: q for q in qs}
    counts = Counter(qid for queue in plan.values() for qid in queue if qid in by_id)
    assert min(counts[q.id] for q in qs) >= 3
    loads = [sum(1 for qid in queue if qid in by_id) for queue in plan.values()]
    assert max(loads) - min(loads) <= 1
    for rid, queue in plan.items():
        assert len(queue) == len(set(queue))
        assert all(by_id[qid].team != raters[rid] for qid in queue if qid in by_id)
        assert {a.id for a in attn} <= set(queue)


def test_wilson_exact_values():
    low, high = wilson(5, 10)
    assert math.isclose(low, 0.2365930, abs_tol=1e-6) and math.isclose(high, 0.7634070, abs_tol=1e-6)
    assert wilson(0, 0) == (0.0, 1.0)
    assert math.isclose(wilson(10, 10)[1], 1.0) and math.isclose(wilson(10, 10)[0], 0.7224672, abs_tol=1e-6)


def test_beats_the_target_only_when_the_lower_bound_is_above():
    assert not rate(6, 10, 0.49).beats        # 0.6 observed, but the interval reaches below 0.49
    assert rate(90, 100, 0.49).beats
    assert not rate(0, 0, 0.49).beats


def test_grade_drops_careless_raters_and_ignores_attention_checks():
    q = Question("s1-t0", 1, 10, "t0", tuple(f"c{i}" for i in range(8)), 2)
    a = Question("attn0-t0", -1, None, "t0", tuple(f"c{i}" for i in range(8)), 5, attention=True)
    answers = [(1, "s1-t0", 2), (1, "attn0-t0", 5),   # careful and right
               (2, "s1-t0", 2), (2, "attn0-t0", 0),   # careless: its answer is dropped
               (3, "s1-t0", 7), (3, "attn0-t0", 5)]   # careful and wrong
    assert careless_raters(answers, {q.id: q, a.id: a}) == {2}
    grade = grade_study(answers, [q, a])
    assert set(grade) == {1}
    assert (grade[1].overall.right, grade[1].overall.n) == (1, 2)
    assert grade[1].per_trojan["t0"].n == 2


def test_trojan_ids_name_their_variant():
    assert trojan_variant("m07") == (0, "m07")
    assert trojan_variant("v2/3") == (2, "3")
    assert trojan_variant("v/3") == (0, "v/3")


def test_a_team_on_another_variant_is_asked_about_its_own_trigger():
    triggers = {"0": "patch", "1": "blend", "v1/0": "faint", "v1/1": "corner"}
    assert team_trojan("0", 1, triggers) == "v1/0"  # the team of variant 1 visualized its own model's trojan 0
    assert team_trojan("0", 0, triggers) == "0"
    assert team_trojan("v1/1", 1, triggers) == "v1/1"  # already qualified
    assert team_trojan("0", 3, {"0": "patch"}) == "0"  # triggers naming no variant: plain ids, as before
    with pytest.raises(ValueError, match="'v2/0' is not among the triggers"):
        team_trojan("0", 2, triggers)  # variants are named, but not this team's: its true trigger is unknown
