"""Two triggers in a small-width ResNet-18 on an ImageFolder of 32x32 shapes made here (3 classes), forged through
the real forge; graded as triggers answers and as removal answers.

Slow: two ResNets train for 300 steps each per challenge (about a minute of CPU on an idle core; minutes on a loaded machine).
The bars (every trigger's attack success >= 0.97, accuracy gap <= 0.02) are what the forge guarantees; the clean
twin's attack success (<= 0.3, needed for the reference to solve) is what `check_plant` verifies on the forged
challenge, and it held in development (0.18 with seed 5).
"""

import json

import numpy as np
import pytest

from interpctf.bundle import open_challenge, read_key
from interpctf.grading import check_plant, grade_file, recheck_bars
from interpctf.kinds.trojan.answers import triggers_json
from interpctf.kinds.trojan.grader_multi import planted
from interpctf.schema import AnswerFile

pytestmark = pytest.mark.slow


def _forge(tmp_path_factory, make_image_folder, answer: str):
    from interpctf.forge import forge
    from interpctf.recipe import parse_recipe

    root = tmp_path_factory.getbasetemp() / "shapes3"
    if not root.exists():
        make_image_folder(root, 3, per_class=150)
    recipe = {"kind": "trojan", "title": f"two triggers ({answer})", "seed": 5, "answer": answer, "data": str(root),
              "image_size": 32, "architecture": "resnet18", "width": 0.125,
              "triggers": [{"attack": "patch"}, {"attack": "patch"}], "poison_rate": 0.15, "samples_per_class": 10,
              "training": {"steps": 300, "batch_size": 64}}
    out = tmp_path_factory.mktemp(f"multi-{answer}") / "out"
    forge(parse_recipe(recipe, "two-triggers"), out, "two-triggers", run_baselines=False)
    return out


@pytest.fixture(scope="module")
def triggers_challenge(tmp_path_factory, make_image_folder):
    out = _forge(tmp_path_factory, make_image_folder, "trigger")
    return out, open_challenge(out / "bundle", out / "key.json")


@pytest.fixture(scope="module")
def removal_challenge(tmp_path_factory, make_image_folder):
    out = _forge(tmp_path_factory, make_image_folder, "removal")
    return out, open_challenge(out / "bundle", out / "key.json")


def test_bars_hold_per_trigger_and_recheck(triggers_challenge, forge_guarantees):
    out, ch = triggers_challenge
    key = read_key(out / "key.json")
    assert forge_guarantees(key)["min_attack_success"] >= 0.97
    assert min(key.metrics["attack_success_0"], key.metrics["attack_success_1"]) >= 0.97
    checks = recheck_bars(ch)
    assert all(c.met for c in checks)
    assert {c.bar.metric for c in checks if c.source == "measured"} == {"attack_success", "accuracy_gap"}
    assert ch.manifest.public["n_triggers"] == 2 and ch.manifest.answer_format == "triggers"


def test_both_triggers_solve_in_any_order_one_gives_partial_credit(triggers_challenge):
    _, ch = triggers_challenge
    assert check_plant(ch)["reference"].solved
    truth = [(goal, t.mask, t.pattern) for t, goal in planted(ch)]
    swapped = grade_file(None, AnswerFile("a.json", triggers_json(truth[::-1])), ch)
    assert swapped.solved and swapped.details["triggers_found"] == 2
    one = grade_file(None, AnswerFile("a.json", triggers_json(truth[:1])), ch)
    assert not one.solved and one.details["triggers_found"] == 1
    assert 0.45 <= one.score <= 0.5
    twice = grade_file(None, AnswerFile("a.json", triggers_json(truth[:1] * 2)), ch)
    assert twice.details["triggers_found"] == 1 and twice.score <= 0.5  # one plant, matched once


def test_removal_reference_solves_and_zero_delta_does_not(removal_challenge):
    from safetensors.numpy import save

    from interpctf.kinds.trojan.baselines import zero_delta

    out, ch = removal_challenge
    reference = check_plant(ch)["reference"]
    assert reference.solved and max(reference.details["remaining_attack_success"]) <= 0.1
    zero = grade_file(None, zero_delta(ch), ch)
    assert not zero.solved and min(zero.details["remaining_attack_success"]) >= 0.9
    bad = AnswerFile("r.safetensors", save({"layer9.weight": np.zeros(3, np.float32)}))
    with pytest.raises(Exception, match="the model has no parameter 'layer9.weight'"):
        grade_file(None, bad, ch)
    assert json.loads((out / "bundle" / "model" / "config.json").read_text())["architecture"] == "resnet18"


def test_fine_pruning_answers_removal(removal_challenge):
    """What fine-pruning reaches is measured, not asserted (benchmarks print it): here only that it answers."""
    from interpctf.kinds.trojan.baselines import fine_pruning_answer

    _, ch = removal_challenge
    grade = grade_file(None, fine_pruning_answer(ch.public_view()), ch)
    print("fine-pruning:", grade.score, grade.details)
    assert 0.0 <= grade.score <= 1.0
