"""recipes/mnist-2023.yaml forged from IDX files the test writes (conftest.mnist_dir, 1,500 training and 297 test
images made from scikit-learn's digits), with fast settings: the real loader, CNN, probes in the key's files."""

import numpy as np
import pytest
import yaml

from interpctf.bundle import open_challenge, read_key
from interpctf.errors import BadBundle
from interpctf.grading import check_plant, grade_file
from interpctf.kinds.labelfn.domains import DOMAINS
from interpctf.kinds.labelfn.facts import LabelFnPublic
from interpctf.kinds.labelfn.probes import Probes
from interpctf.recipe import load_recipe, parse_recipe
from interpctf.reference import recipe_path
from interpctf.schema import AnswerFile

FAST_STEPS = 800
BAR = 0.95  # the mnist domain's default min_heldout_accuracy


@pytest.fixture(scope="module")
def mnist_challenge(mnist_dir, tmp_path_factory):
    from interpctf.forge import forge

    spec = yaml.safe_load(recipe_path("mnist-2023").read_text())
    del spec["download"]
    spec.update(data_dir=str(mnist_dir), training={"steps": FAST_STEPS})
    out = tmp_path_factory.mktemp("mnist") / "out"
    forge(parse_recipe(spec), out, "mnist-small")
    return out


def test_reference_recipe_parses():
    recipe = load_recipe(recipe_path("mnist-2023"))
    assert recipe.domain == "mnist" and recipe.download


def test_cnn_has_the_2023_size():
    from interpctf.nets.mnist_cnn import MnistCNN

    assert sum(t.numel() for t in MnistCNN().parameters()) == 81_850


def test_model_meets_the_bar_on_the_test_images(mnist_challenge, forge_guarantees):
    """What the forge guarantees: the recipe's bar (min_heldout_accuracy 0.95), retrying seeds until it holds."""
    key = read_key(mnist_challenge / "key.json")
    assert forge_guarantees(key) == {"min_heldout_accuracy": BAR}
    assert key.metrics["heldout_accuracy"] >= BAR


def test_secret_rule_solves_and_baselines_do_not(mnist_challenge):
    challenge = open_challenge(mnist_challenge / "bundle", mnist_challenge / "key.json")
    rule = read_key(mnist_challenge / "key.json").secret["rule_source"]
    grade = grade_file(None, AnswerFile("rule.py", rule.encode()), challenge)
    assert grade.score == 1.0 and grade.solved and grade.details["n_probes"] > 0
    result = check_plant(challenge)
    assert set(result["baselines"]) == {"constant", "blackbox"}
    assert not any(g.solved for g in result["baselines"].values())


def test_probe_images_stay_in_the_key_and_the_card_says_the_secret_is_a_data_set_image(mnist_challenge):
    key = read_key(mnist_challenge / "key.json")
    probes = np.load(mnist_challenge / "key-files" / "probe_images.npy")
    assert probes.shape == (len(key.secret["probe_indices"]), 28, 28)
    bundle_files = [p.name for p in (mnist_challenge / "bundle").rglob("*") if p.is_file()]
    assert "probe_images.npy" not in bundle_files
    sample = np.load(mnist_challenge / "bundle" / "examples" / "mnist_sample.npy")
    assert sample.shape[1:] == (28, 28) and len(sample) == 1000
    assert not {a.tobytes() for a in sample} & {a.tobytes() for a in probes}  # no probe image is published
    card = (mnist_challenge / "bundle" / "README.md").read_text()
    assert "secret image is one of MNIST's own images" in card


def test_grading_without_the_key_files_is_a_one_line_error(mnist_challenge):
    challenge = open_challenge(mnist_challenge / "bundle", mnist_challenge / "key.json")
    probes = Probes.of(challenge)
    with pytest.raises(BadBundle, match="needs the key's files"):
        probes.inputs(DOMAINS["mnist"], challenge.public_as(LabelFnPublic), None)
