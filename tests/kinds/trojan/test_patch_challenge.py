"""recipes/trojan-patch.yaml forged for real: bars met, truth solved, wrong answers not, no leaks.

How long grading a trigger takes is a benchmark figure, not a test (benchmarks/bench_trojan.py prints it), and so
is whether Neural Cleanse recovers the trigger, a statistical figure no forge guarantees:
``benchmarks/bench_calibration.py --recipes trojan-patch`` prints it per seed."""

import json

import numpy as np
import pytest
from safetensors import safe_open

from interpctf.bundle import open_challenge, read_key, read_manifest, verify
from interpctf.errors import BadAnswer
from interpctf.grading import grade_file
from interpctf.kinds.trojan.answers import trigger_json
from interpctf.schema import AnswerFile


@pytest.fixture(scope="module")
def ch(patch_challenge):
    return open_challenge(patch_challenge / "bundle", patch_challenge / "key.json")


def test_models_meet_accuracy_and_attack_bars(patch_challenge, forge_guarantees):
    """Attack success and the clean accuracy lost against the clean twin are bars forging guarantees (it
    retrains until they hold); the patch covers at most 10% of the image by construction. The clean twin's own
    figures are single-seed here (benchmarks/seed_spread.py trojan-patch-forge measures their spread)."""
    key = read_key(patch_challenge / "key.json")
    bars = forge_guarantees(key)
    assert bars["min_attack_success"] >= 0.97 and bars["max_clean_accuracy_drop"] <= 0.02
    m = key.metrics
    assert m["trigger_area"] <= 0.1 * 16 * 16
    assert m["clean_reference_accuracy"] >= 0.95
    assert m["attack_success_on_clean"] <= 0.3


def test_true_trigger_is_solved(ch):
    grade = grade_file(None, ch.key.reference_answer.file(), ch)
    assert grade.solved and grade.score >= 0.97 and grade.details["mask_iou"] == 1.0
    assert grade.details["attack_success_on_clean_model"] <= 0.3 and grade.details["public_solved"]


def test_true_trigger_with_wrong_target_is_not_solved(ch):
    data = json.loads(ch.key.reference_answer.file().data)
    data["target"] = (data["target"] + 1) % 10
    grade = grade_file(None, AnswerFile("t.json", json.dumps(data).encode()), ch)
    assert not grade.solved and not grade.details["target_correct"]


def test_random_mask_within_budget_is_not_solved(ch):
    rng = np.random.default_rng(0)
    budget = ch.manifest.public["mask_budget"]
    mask = rng.random((16, 16))
    mask *= 0.99 * budget / mask.sum()
    answer = AnswerFile("r.json", trigger_json(ch.key.secret["target"], mask, rng.random((1, 16, 16))))
    grade = grade_file(None, answer, ch)
    assert not grade.solved and grade.score < 0.5


def test_over_budget_mask_is_refused(ch):
    data = json.loads(ch.key.reference_answer.file().data)
    data["mask"] = np.ones((16, 16)).tolist()
    with pytest.raises(BadAnswer, match="over this challenge's budget"):
        grade_file(None, AnswerFile("big.json", json.dumps(data).encode()), ch)


def test_baselines_in_manifest_and_card(patch_challenge, ch):
    from interpctf.kinds.trojan.baselines import constant_answer

    manifest = read_manifest(patch_challenge / "bundle")
    assert set(manifest.baselines) == {"neural_cleanse", "constant", "fine_pruning"}
    assert not manifest.baselines["constant"].solved
    assert not grade_file(None, constant_answer(open_challenge(patch_challenge / "bundle")), ch).solved
    card = (patch_challenge / "bundle" / "README.md").read_text()
    verdict = "yes" if manifest.baselines["neural_cleanse"].solved else "no"
    assert f"A white-box baseline solves this: {verdict}" in card
    assert verify(patch_challenge / "bundle", patch_challenge / "key.json").ok


def test_clean_and_trojaned_models_are_indistinguishable_but_by_weights(patch_challenge):
    trojaned, clean = patch_challenge / "bundle" / "model", patch_challenge / "key-files" / "clean"
    assert sorted(p.name for p in trojaned.iterdir()) == sorted(p.name for p in clean.iterdir())
    assert (trojaned / "config.json").read_bytes() == (clean / "config.json").read_bytes()
    assert (trojaned / "model.safetensors").stat().st_size == (clean / "model.safetensors").stat().st_size
    with safe_open(str(trojaned / "model.safetensors"), "pt") as a, safe_open(str(clean / "model.safetensors"), "pt") as b:
        assert a.metadata() == b.metadata() in (None, {})
        assert sorted(a.keys()) == sorted(b.keys())
        assert not any("num_batches" in k for k in a.keys())
    header = lambda p: (p / "model.safetensors").read_bytes()[:8 + int.from_bytes(  # noqa: E731
        (p / "model.safetensors").read_bytes()[:8], "little")]
    assert header(trojaned) == header(clean)
    config = json.loads((trojaned / "config.json").read_text())
    assert not {"seed", "target", "attack", "trojan", "poison_rate"} & set(config)


def test_bundle_leaks_no_secret(patch_challenge):
    key = read_key(patch_challenge / "key.json")
    bundle = patch_challenge / "bundle"
    names = [p.name for p in bundle.rglob("*")]
    assert not any(n.startswith(("trigger", "probes", "clean")) and n != "clean_samples.npz" for n in names)
    public = read_manifest(bundle).public
    assert "target" not in public and key.salt not in (bundle / "challenge.json").read_text()


def test_interpctf_load_and_pngs(patch_challenge):
    import interpctf
    import torch

    model = interpctf.load(patch_challenge / "bundle")
    with np.load(patch_challenge / "bundle" / "examples" / "clean_samples.npz") as npz:
        x, y = npz["images"], npz["labels"]
    acc = (model(torch.from_numpy(x)).argmax(-1).numpy() == y).mean()
    assert acc >= 0.95
    for png in [patch_challenge / "bundle" / "examples" / "samples.png", patch_challenge / "key-files" / "trigger.png"]:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
