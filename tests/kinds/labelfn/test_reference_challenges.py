"""The two reference recipes, forged for real: accuracy bars, no leaks, the truth solves, baselines do not."""

import base64
import json

import pytest

from interpctf.bundle import open_challenge, read_key
from interpctf.grading import check_plant, grade_file
from interpctf.schema import AnswerFile

CHALLENGES = ["pairs_challenge", "digits_challenge"]
ACCURACY_BAR = {"pairs_challenge": 0.97, "digits_challenge": 0.95}


@pytest.fixture(params=CHALLENGES)
def forged(request):
    return request.param, request.getfixturevalue(request.param)


def test_model_meets_heldout_accuracy_bar(forged, forge_guarantees):
    """What forging guarantees on any machine: it retrains with derived seeds until held-out accuracy reaches the
    recipe's bar (or fails, naming it), so the key's figure meets the bar the key records, at least the
    reference bar (pairs 0.97, digits 0.95)."""
    name, out = forged
    bars = forge_guarantees(read_key(out / "key.json"))
    assert bars["min_heldout_accuracy"] >= ACCURACY_BAR[name]


def test_bundle_contains_no_key_material(forged):
    _, out = forged
    key = read_key(out / "key.json")
    rule_lines = [line.strip() for line in key.secret["rule_source"].splitlines()
                  if len(line.strip()) > 12 and not line.strip().startswith(("import", "def label", "return int("))]
    needles = [key.salt, key.reference_answer.data_b64[:40], *rule_lines]
    files = [p for p in (out / "bundle").rglob("*") if p.is_file()]
    assert files
    for path in files:
        text = path.read_bytes().decode("latin-1")
        for needle in needles:
            assert needle not in text, f"{path.name} leaks {needle[:30]!r}"


def test_secret_rule_as_answer_is_solved_with_score_one(forged):
    _, out = forged
    challenge = open_challenge(out / "bundle", out / "key.json")
    rule = read_key(out / "key.json").secret["rule_source"]
    grade = grade_file(None, AnswerFile("rule.py", rule.encode()), challenge)
    assert grade.score == 1.0 and grade.solved
    assert grade.details["public_score"] == 1.0
    assert grade.details["agreement_with_model"] == grade.details["model_agreement_with_secret"]


def test_baselines_are_not_solved(forged):
    _, out = forged
    result = check_plant(open_challenge(out / "bundle", out / "key.json"))
    assert result["reference"].solved
    assert set(result["baselines"]) == {"constant", "blackbox"}
    for name, grade in result["baselines"].items():
        assert not grade.solved, name
    # the black-box copy agrees with the model better than the constant does: the baseline is real. (A fixed
    # margin is no guarantee: the digits copy's agreement was 0.94 on one machine and 0.85 on another.)
    blackbox, constant = result["baselines"]["blackbox"], result["baselines"]["constant"]
    assert blackbox.details["agreement_with_model"] > constant.details["agreement_with_model"]
    assert result["baselines"]["blackbox"].score > result["baselines"]["constant"].score


def test_manifest_records_public_baseline_results(forged):
    _, out = forged
    manifest = json.loads((out / "bundle" / "challenge.json").read_text())
    assert set(manifest["baselines"]) == {"constant", "blackbox"}
    assert not any(b["solved"] for b in manifest["baselines"].values())


def test_reference_answer_round_trips(forged):
    _, out = forged
    key = read_key(out / "key.json")
    assert base64.b64decode(key.reference_answer.data_b64).decode() == key.secret["rule_source"]
