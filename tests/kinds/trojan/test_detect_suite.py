"""A small detection suite forged for real: truth gives AUROC 1, reversed 0; models indistinguishable by files."""

import json

import pytest

from interpctf.bundle import open_challenge, read_key, read_manifest
from interpctf.errors import BadAnswer
from interpctf.grading import grade_file
from interpctf.schema import AnswerFile


@pytest.fixture(scope="module")
def ch(small_suite):
    return open_challenge(small_suite / "bundle", small_suite / "key.json")


def answer(scores: dict) -> AnswerFile:
    return AnswerFile("d.json", json.dumps({"scores": scores}).encode())


def test_suite_bars(small_suite, forge_guarantees):
    """Forging guarantees the bars for the suite's weakest trojaned model (it retrains until they hold)."""
    key = read_key(small_suite / "key.json")
    bars = forge_guarantees(key)
    assert bars["min_attack_success"] >= 0.97 and bars["max_clean_accuracy_drop"] <= 0.02
    assert key.metrics["n_trojaned"] == 2


def test_truth_scores_one_and_reversed_zero(ch):
    labels = ch.key.secret["labels"]
    truth = grade_file(None, answer({m: float(v) for m, v in labels.items()}), ch)
    assert truth.score == 1.0 and truth.solved and truth.details["aupr"] == 1.0
    assert truth.details["public_score"] == 1.0
    reverse = grade_file(None, answer({m: 1.0 - v for m, v in labels.items()}), ch)
    assert reverse.score == 0.0 and not reverse.solved
    flat = grade_file(None, answer({m: 0.5 for m in labels}), ch)
    assert flat.score == 0.5


def test_unknown_model_id_is_refused(ch):
    ids = ch.manifest.public["model_ids"]
    with pytest.raises(BadAnswer, match="unknown model id 'm77'"):
        grade_file(None, answer({**{m: 0.5 for m in ids}, "m77": 0.5}), ch)


def test_models_cannot_be_told_apart_by_files_or_metadata(small_suite):
    model_dir = small_suite / "bundle" / "model"
    ids = read_manifest(small_suite / "bundle").public["model_ids"]
    listing = {m: sorted((p.name, p.stat().st_size) for p in (model_dir / m).iterdir()) for m in ids}
    configs = {(model_dir / m / "config.json").read_bytes() for m in ids}
    assert len({tuple(v) for v in listing.values()}) == 1 and len(configs) == 1
    heads = {(model_dir / m / "model.safetensors").read_bytes()[:400] for m in ids}
    assert len(heads) == 1  # same header bytes (names, shapes, offsets, no metadata)
    public = read_manifest(small_suite / "bundle").public
    assert set(public) == {"answer", "dataset", "input_shape", "num_classes", "model_ids", "attacks"}


def test_loader_gives_a_module_dict(small_suite):
    import interpctf
    import torch

    suite = interpctf.load(small_suite / "bundle")
    assert isinstance(suite, torch.nn.ModuleDict) and sorted(suite.keys()) == ["m00", "m01", "m02", "m03"]
    assert suite["m00"](torch.zeros(2, 1, 16, 16)).shape == (2, 10)


def test_card_documents_the_suite_loader(small_suite):
    card = (small_suite / "bundle" / "README.md").read_text()
    assert "nn.ModuleDict: m00 .. m03" in card and 'model["m00"]' in card
    assert "A white-box baseline solves this: not run" in card  # forged without baselines
