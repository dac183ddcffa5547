"""Bad and partial answers: each gets a one-line reason or a fair partial grade, never a crash."""

import pytest

from interpctf.bundle import open_challenge
from interpctf.errors import BadAnswer
from interpctf.grading import grade_file
from interpctf.schema import AnswerFile


@pytest.fixture(scope="module")
def pairs(pairs_challenge):
    return open_challenge(pairs_challenge / "bundle", pairs_challenge / "key.json")


def grade(challenge, source: str, name: str = "answer.py"):
    return grade_file(None, AnswerFile(name, source.encode()), challenge)


@pytest.mark.parametrize("source, message", [
    ("def label(x, y)\n    return 1\n", "syntax error at line 1"),
    ("def classify(x, y):\n    return 1\n", "no top-level function 'label'"),
    ("def label(x):\n    return 1\n", "2 positional arguments"),
    ("async def label(x, y):\n    return 1\n", "not async"),
])
def test_unusable_answers_are_refused_in_one_line(pairs, source, message):
    with pytest.raises(BadAnswer, match=message) as info:
        grade(pairs, source)
    assert "\n" not in str(info.value)


def test_non_utf8_is_refused(pairs):
    with pytest.raises(BadAnswer, match="not UTF-8"):
        grade_file(None, AnswerFile("a.py", b"\xff\xfe def"), pairs)


def test_wrong_return_types_count_as_wrong(pairs):
    g = grade(pairs, "def label(x, y):\n    return 'one' if x % 2 else 0\n")
    assert g.details["bad_values"] > 0 and g.score < 0.9 and not g.solved


def test_out_of_range_integers_count_as_wrong(pairs):
    g = grade(pairs, "def label(x, y):\n    return 7\n")
    assert g.score == 0.0 and g.details["bad_values"] == 113 * 113


def test_exceptions_are_counted_and_reported(pairs):
    g = grade(pairs, "def label(x, y):\n    return 1 // (x - 5)\n")
    assert g.details["exceptions"] == 113
    assert "ZeroDivisionError" in g.details["first_error"]


def test_a_hang_fails_the_answer_not_the_grader(pairs):
    g = grade(pairs, "def label(x, y):\n    while True:\n        pass\n")
    assert g.score == 0.0 and not g.solved and "limit" in g.details["error"]


def test_rule_with_one_flipped_region_gets_partial_credit(pairs, pairs_challenge):
    from interpctf.bundle import read_key

    rule = read_key(pairs_challenge / "key.json").secret["rule_source"]
    flipped = rule.replace("def label(", "def _true_label(") + (
        "\n\ndef label(x, y):\n    v = _true_label(x, y)\n    return 1 - v if x < 5 else v\n")
    g = grade(pairs, flipped)
    assert 0.9 < g.score < 0.97 and not g.solved
