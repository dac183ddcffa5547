"""Properties of the parity kind beyond the contract: the grade's arithmetic, recipe limits, the query meter."""

import json
from pathlib import Path

import pytest

from interpctf.errors import BadAnswer, BadRecipe
from interpctf.recipe import parse_recipe
from interpctf.schema import AnswerFile
from interpctf_kind_parity.facts import BitsAnswer, ParitySecret
from interpctf_kind_parity.grader import grade_bits, parse_bits, parity
from interpctf_kind_parity.model import all_vectors


def _secret(bits, n_bits=6):
    """A key's secret whose stored model labels are the exact parity (a perfect model) on every vector."""
    vectors = all_vectors(n_bits)
    indices = list(range(len(vectors)))
    labels = "".join(map(str, parity(vectors, bits).tolist()))
    return ParitySecret(bits=bits, train_indices=[], probe_indices=indices, probe_model=labels,
                        public_rows=indices[::2], private_rows=indices[1::2])


def test_only_the_exact_subset_solves_and_a_wrong_one_agrees_on_half():
    secret = _secret([1, 4])
    right = grade_bits(BitsAnswer(bits=[1, 4]), secret, 6)
    assert right.solved and right.score == 1.0 and right.details["exact_set"]
    for wrong in ([1], [4], [1, 2], [1, 4, 5], [], [0, 2, 3]):
        grade = grade_bits(BitsAnswer(bits=wrong), secret, 6)
        # two different parities (of different subsets) agree on exactly half of all vectors
        assert not grade.solved and not grade.public_solved and grade.score == 0.5, (wrong, grade)


@pytest.mark.parametrize("data, says", [
    (b'{"bits": [6]}', "out of range"), (b'{"bits": [1, 1]}', "twice"), (b'{"bits": [true]}', "integer"),
    (b'{"bits": "1,2"}', "integer"), (b'[1, 2]', "no 'bits'"), (b'{"format": "program", "bits": []}', "format"),
])
def test_bad_answers_say_what_is_wrong_in_one_line(data, says):
    with pytest.raises(BadAnswer, match=says) as refused:
        parse_bits(AnswerFile("a.json", data), 6)
    assert "\n" not in str(refused.value)


def test_answer_bits_are_sorted():
    assert parse_bits(AnswerFile("a.json", b'{"format": "bits", "bits": [5, 0, 2]}'), 6).bits == [0, 2, 5]


@pytest.mark.parametrize("field", [{"k": 1}, {"n_bits": 20}, {"bars": {"min_heldout_accuracy": 0.5}}])
def test_recipe_refuses_what_the_kind_cannot_guarantee(field):
    with pytest.raises(BadRecipe) as refused:
        parse_recipe({"kind": "parity", "title": "t", **field})
    assert "\n" not in str(refused.value)


def test_the_querier_counts_one_query_per_vector(tmp_path):
    from interpctf.forge import forge
    from interpctf.kinds import get_kind
    from interpctf.solvers.budget import BudgetExceeded, QueryMeter, SolverBudget

    out = tmp_path / "out"
    forge(parse_recipe({"kind": "parity", "title": "t", "n_bits": 6, "k": 2, "seed": 1}), out, "t",
          run_baselines=False)
    meter = QueryMeter(SolverBudget(max_queries=3))
    query = get_kind("parity").querier()(Path(out / "bundle"), meter)
    reply = query(json.dumps([[0] * 6, [1] * 6]))
    assert len(reply["labels"]) == 2 and reply["queries_left"] == 1 and meter.used == 2
    with pytest.raises(BudgetExceeded):
        query(json.dumps([[0] * 6, [1] * 6]))
