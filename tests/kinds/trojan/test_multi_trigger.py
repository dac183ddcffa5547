"""Several triggers in one model, removal answers, and the recipe's model/data fields (fast checks; the
forged ResNet challenges are in test_multi_trigger_slow.py)."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from interpctf.errors import BadAnswer, BadRecipe
from interpctf.kinds.trojan.answers import parse_removal, parse_triggers, triggers_json
from interpctf.kinds.trojan.grader_multi import match, pair_figures, removal_grade
from interpctf.recipe import parse_recipe
from interpctf.schema import AnswerFile

ROOT = Path(__file__).resolve().parents[3]


def recipe(**fields):
    return parse_recipe({"kind": "trojan", "title": "t", "seed": 1, **fields}, "test")


def test_cifar10_recipe_parses_and_validates():
    r = parse_recipe(yaml.safe_load((ROOT / "recipes" / "trojan-cifar10-4.yaml").read_text()), "trojan-cifar10-4")
    assert r.architecture == "resnet18" and r.data_name() == "cifar10" and r.n_triggers() == 4
    assert not r.legacy() and [s.attack for s in r.trigger_specs()] == ["patch", "patch", "blended", "faint"]


def test_old_recipes_take_the_old_path():
    assert recipe(dataset="digits").legacy() and recipe(answer="detect").legacy()


@pytest.mark.parametrize("fields, message", [
    ({"triggers": 11}, "triggers: 11 triggers but the data has 10 classes"),
    ({"architecture": "not_a_net"}, "architecture: 'not_a_net'"),
    ({"triggers": 2, "answer": "target"}, "triggers: several triggers take answers trigger or removal"),
    ({"triggers": [{"target": 3}, {"target": 3}]}, "two triggers share a target class"),
    ({"triggers": [{"target": 12}]}, r"triggers\[0\].target: 12 is not a class"),
    ({"architecture": "resnet18", "answer": "choice"}, "answer: choice is made with the built-in small_cnn"),
    ({"data": "cifar10", "dataset": "shapes"}, "give either data or dataset"),
])
def test_bad_recipes_are_one_line(fields, message):
    with pytest.raises(BadRecipe, match=message) as err:
        recipe(**fields)
    assert "\n" not in str(err.value)


def test_image_folder_with_one_class_and_more_triggers_than_classes(tmp_path, make_image_folder):
    from interpctf.data.mnist import BadData
    from interpctf.kinds.trojan.datasets import load_data

    one = make_image_folder(tmp_path / "one", 1)
    with pytest.raises(BadData, match="data: the image folder .* has 1 class folder"):
        load_data(str(one), 32, 0)
    three = make_image_folder(tmp_path / "three", 3)
    data = load_data(str(three), 16, 0)
    assert data.num_classes == 3 and data.shape == (3, 16, 16) and data.class_names == ("disc", "square", "triangle")
    assert len(data.train_x) + len(data.heldout_x) == 12
    with pytest.raises(ValueError, match="triggers: 4 triggers but the data has 3 classes"):
        recipe(data=str(three), image_size=32, triggers=4, poison_rate=0.05).check_classes(3)


def test_matching_is_one_to_one_with_partial_credit():
    # two planted triggers (targets 1, 2); answers: a good one for target 1 sent twice, a weak one for 2
    success = np.array([0.95, 0.95, 0.5])
    scores, solved = pair_figures(success, np.array([0.0, 0.0, 0.0]), [1, 1, 2], [1, 2])
    pairs = match(scores, solved)
    assert len(pairs) == 2 and len({j for _, j in pairs}) == 2  # one answer never counts for two plants
    assert sum(scores[i, j] for i, j in pairs) / 2 == pytest.approx((0.95 + 0.5) / 2)
    assert sum(bool(solved[i, j]) for i, j in pairs) == 1
    # a universal adversarial patch (it fires on the clean twin too) is not solved
    _, solved = pair_figures(np.array([0.99]), np.array([0.8]), [1], [1])
    assert not solved.any()


def test_removal_grade():
    assert removal_grade([0.05, 0.1], 0.95, 0.96) == (pytest.approx(0.925), True)
    assert removal_grade([0.05, 0.4], 0.95, 0.96)[1] is False  # one trigger still works
    score, solved = removal_grade([0.0, 0.0], 0.5, 1.0)  # removed by breaking the model
    assert not solved and score == pytest.approx(0.5)


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory) -> Path:
    from interpctf.nets import image_classifier
    from interpctf.nets.image_classifier import NetSpec

    out = tmp_path_factory.mktemp("tiny") / "model"
    image_classifier.save(image_classifier.new_model(NetSpec("resnet18", 0.125), (3, 16, 16), 3), out)
    return out


def _delta(tensors: dict) -> AnswerFile:
    from safetensors.numpy import save

    return AnswerFile("removal.safetensors", save(tensors))


def test_removal_answers_are_checked_against_the_model(tiny_model_dir):
    ok = parse_removal(_delta({"fc.bias": np.zeros(3, np.float32)}), tiny_model_dir)
    assert set(ok.deltas) == {"fc.bias"}
    with pytest.raises(BadAnswer, match="the model has no parameter 'head.weight'"):
        parse_removal(_delta({"head.weight": np.zeros(3, np.float32)}), tiny_model_dir)
    with pytest.raises(BadAnswer, match=r"fc.bias has shape \(4,\), the model's is \(3,\)"):
        parse_removal(_delta({"fc.bias": np.zeros(4, np.float32)}), tiny_model_dir)
    with pytest.raises(BadAnswer, match="no parameter .bn1.num_batches_tracked."):
        parse_removal(_delta({"bn1.num_batches_tracked": np.zeros((), np.int64)}), tiny_model_dir)
    with pytest.raises(BadAnswer, match="NaN"):
        parse_removal(_delta({"fc.bias": np.full(3, np.nan, np.float32)}), tiny_model_dir)


def test_triggers_answers_parse_strictly():
    shape, budget = (3, 8, 8), 10.0
    one = (1, np.zeros((8, 8)), np.zeros((3, 8, 8)))
    parsed = parse_triggers(AnswerFile("a.json", triggers_json([one, one])), shape, 3, budget, 2)
    assert len(parsed.triggers) == 2
    with pytest.raises(BadAnswer, match="lists 3 triggers; this model hides 2"):
        parse_triggers(AnswerFile("a.json", triggers_json([one] * 3)), shape, 3, budget, 2)
    big = (1, np.ones((8, 8)), np.zeros((3, 8, 8)))
    with pytest.raises(BadAnswer, match=r"triggers\[1\]: the mask's L1 norm is 64.00"):
        parse_triggers(AnswerFile("a.json", triggers_json([one, big])), shape, 3, budget, 2)
    with pytest.raises(BadAnswer, match=r"triggers\[0\]: 'target' must be between 0 and 2"):
        parse_triggers(AnswerFile("a.json", triggers_json([(5, one[1], one[2])])), shape, 3, budget, 2)


@pytest.mark.parametrize("arch, width", [("resnet18", 0.125), ("resnet34", 0.0625), ("small_cnn", 0.5)])
def test_intake_counts_the_classifiers_exactly(tmp_path, arch, width):
    from interpctf.intake.models import ClassifierConfig, _check_weights
    from interpctf.nets import image_classifier
    from interpctf.nets.image_classifier import NetSpec

    model = image_classifier.new_model(NetSpec(arch, width), (3, 16, 16), 5)
    image_classifier.save(model, tmp_path / "m")
    config = ClassifierConfig.model_validate_json((tmp_path / "m" / "config.json").read_text())
    assert config.params() == sum(t.numel() for t in model.state_dict().values())
    _check_weights(tmp_path / "m" / "model.safetensors", config.params())
