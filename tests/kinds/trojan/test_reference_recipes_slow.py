"""Every reference recipe forged as published, with Neural Cleanse; and the target and choice answer types."""

import json

import pytest

from interpctf.bundle import open_challenge, read_key, read_manifest
from interpctf.grading import check_plant, grade_file
from interpctf.schema import AnswerFile

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["trojan-blended", "trojan-faint"])
def test_single_model_reference_recipes(forge_trojan, name, forge_guarantees):
    out = forge_trojan(name)
    m = read_key(out / "key.json").metrics
    bars = forge_guarantees(read_key(out / "key.json"))
    assert bars["min_attack_success"] >= 0.97 and bars["max_clean_accuracy_drop"] <= 0.02
    result = check_plant(open_challenge(out / "bundle", out / "key.json"))
    assert result["reference"].solved and not result["baselines"]["constant"].solved
    print(name, m, read_manifest(out / "bundle").baselines)


def test_full_detection_suite(forge_trojan, forge_guarantees):
    out = forge_trojan("trojan-detect")
    m = read_key(out / "key.json").metrics
    bars = forge_guarantees(read_key(out / "key.json"))
    assert bars["min_attack_success"] >= 0.97 and bars["max_clean_accuracy_drop"] <= 0.02
    assert m["n_trojaned"] == 10
    manifest = read_manifest(out / "bundle")
    assert manifest.baselines["constant"].score == 0.5
    print("detect", m, manifest.baselines)


@pytest.mark.parametrize("answer", ["target", "choice"])
def test_target_and_choice_challenges(forge_trojan, answer):
    out = forge_trojan("trojan-patch", {"answer": answer, "title": answer})
    ch = open_challenge(out / "bundle", out / "key.json")
    assert grade_file(None, ch.key.reference_answer.file(), ch).solved
    truth = json.loads(ch.key.reference_answer.file().data)
    field = "target" if answer == "target" else "choice"
    wrong = {field: (truth[field] + 1) % (10 if answer == "target" else 8)}
    assert not grade_file(None, AnswerFile("w.json", json.dumps(wrong).encode()), ch).solved
    if answer == "choice":
        assert (out / "bundle" / "examples" / "candidates.png").is_file()
    print(answer, read_manifest(out / "bundle").baselines)
