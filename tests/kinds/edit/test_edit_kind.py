"""The edit kind end to end on the reference recipes: the plant checks out, the true edits score F1 1.0, a revert
delta from the original weights is solved, the kb baseline solves kb, and bad answers get one-line errors."""

import json

import numpy as np
import pytest

from interpctf.bundle import open_challenge, verify
from interpctf.errors import BadAnswer
from interpctf.grading import grade_file, recheck_bars
from interpctf.kinds import get_kind
from interpctf.kinds.edit.queries import load_published_model
from interpctf.nets.tiny_gpt_reference import reference_world_model
from interpctf.schema import AnswerFile, Challenge


def _open(out, with_key=True):
    return open_challenge(out / "bundle", out / "key.json" if with_key else None)


def _facts(*claims) -> AnswerFile:
    return AnswerFile("edits.json", json.dumps({"facts": list(claims)}).encode())


def _safetensors(tensors: dict[str, np.ndarray]) -> AnswerFile:
    from safetensors.numpy import save
    return AnswerFile("revert.safetensors", save(tensors))


@pytest.fixture(scope="module")
def rome(rome_kb_challenge):
    return _open(rome_kb_challenge)


@pytest.fixture(scope="module")
def memit(memit_vocab_challenge):
    return _open(memit_vocab_challenge)


def test_forged_bundles_verify_and_hide_the_edits(rome_kb_challenge, memit_vocab_challenge, rome, memit):
    for out in (rome_kb_challenge, memit_vocab_challenge):
        assert verify(out / "bundle", out / "key.json").ok
    assert rome.manifest.public["n_edits"] == 1 and memit.manifest.public["n_edits"] == 3
    published = (memit.bundle_dir / "model" / "world.json").read_text()
    assert '"facts":[]' in published.replace(" ", "").replace("\n", "")  # vocab: no facts
    for e in memit.key.secret["edits"]:
        assert e["new_object"] not in json.dumps(memit.manifest.public)


def test_the_edits_took_hold(rome, memit, forge_guarantees):
    """Efficacy (every edit: P(new) > P(old) on its rewrite prompt) and recall kept are bars forging guarantees:
    it redraws the edits until they hold. Measured again here on the published model, not only read from the key."""
    for challenge in (rome, memit):
        bars = forge_guarantees(challenge.key)
        assert bars["min_efficacy"] == 1.0 and bars["min_recall_kept"] >= 0.95
        for check in recheck_bars(challenge):  # what `interpctf check` does
            assert check.met, check.line()


def test_the_true_edits_score_f1_one(rome, memit):
    for challenge in (rome, memit):
        reference = grade_file(get_kind("edit"), challenge.key.reference_answer.file(), challenge)
        assert reference.score == 1.0 and reference.solved
        assert reference.details["original_object_accuracy"] == 1.0


def test_calibration_kb_is_black_box_solvable_vocab_is_not(rome, memit):
    """The forge ran every baseline (tests/conftest.py forges these with calibrate=True).

    Without published facts the black-box baselines have nothing to compare the model with: the vocab challenge
    scores 0 for them by construction. kb_lookup singled out the one ROME edit of edit-rome-kb on each of 5 seeds
    measured (seeds 2024-2028: score 1.0 every time; benchmarks/bench_calibration.py). How far the white-box
    layer_anomaly gets is not asserted: it varies with the seed and the machine (ROME on kb: solved on 2 of those 5
    seeds; MEMIT on vocab: 2 of 3 edits found where the recipe was written, none on another machine), so
    benchmarks/bench_calibration.py prints it."""
    kb, vocab = rome.manifest.calibration, memit.manifest.calibration
    for cal in (kb, vocab):
        assert set(cal.runs) == {"empty", "kb_lookup", "layer_anomaly"}
        assert not any(run.error for run in cal.runs.values())
        assert cal.white_box_solvable == cal.runs["layer_anomaly"].solved
    assert kb.black_box_solvable and kb.solved_by["black-box"] == ["kb_lookup"]
    assert not vocab.black_box_solvable
    assert vocab.runs["empty"].score == 0.0 and vocab.runs["kb_lookup"].score == 0.0


def test_partial_answers_get_partial_f1(memit):
    edits = memit.key.secret["edits"]
    kind = get_kind("edit")
    one = grade_file(kind, _facts({k: edits[0][k] for k in ("subject", "relation", "new_object")}), memit)
    assert one.score == pytest.approx(0.5)  # precision 1, recall 1/3
    assert not one.solved and one.details["original_object_accuracy"] is None
    wrong_original = dict(edits[0], original_object=edits[0]["new_object"])
    g = grade_file(kind, _facts(wrong_original, *edits[1:]), memit)
    assert g.solved and g.details["original_object_accuracy"] == pytest.approx(2 / 3)


def _revert_delta(challenge: Challenge) -> dict[str, np.ndarray]:
    """Original minus edited weights, on the layers the method wrote."""
    original = dict(reference_world_model().model.named_parameters())
    edited, _ = load_published_model(challenge.bundle_dir / "model")
    out = {}
    for name, p in edited.named_parameters():
        diff = (original[name].detach() - p.detach())
        if diff.abs().max() > 0:
            out[name] = diff.numpy().astype(np.float32)
    return out


def test_a_revert_delta_from_the_original_weights_is_solved(memit):
    deltas = _revert_delta(memit)
    assert set(deltas) == {f"transformer.h.{layer}.mlp.c_proj.weight" for layer in memit.key.secret["layers"]}
    g = grade_file(get_kind("edit"), _safetensors(deltas), memit)
    # the original model differs from the edited one on a few facts the edits disturbed: undoing restores them
    assert g.solved and g.details["restored"] == 1.0 and g.details["kept"] >= 0.95


def test_a_revert_that_wrecks_the_model_is_not_solved(memit):
    rng = np.random.default_rng(0)  # noise, not a constant: LayerNorm would cancel a uniform shift
    deltas = {k: v + rng.normal(0, 0.5, v.shape).astype(np.float32) for k, v in _revert_delta(memit).items()}
    g = grade_file(get_kind("edit"), _safetensors(deltas), memit)
    assert not g.solved and g.details["kept"] < 0.95


@pytest.mark.parametrize("answer, message", [
    (_facts({"subject": "Nobody", "relation": "city", "new_object": "Paris"}), "unknown subject 'Nobody'"),
    (_facts({"subject": "{s}", "relation": "colour", "new_object": "red"}), "unknown subject"),
    (AnswerFile("edits.json", b"{not json"), "not JSON"),
    (AnswerFile("edits.json", b'{"facts": [{"subject": "x"}]}'), "facts answer: fact 0: relation: Field required"),
    (AnswerFile("edits.json", b'{"facts": 3}'), "must be a list"),
    (AnswerFile("revert.safetensors", b"garbage"), "not a readable safetensors"),
    (AnswerFile("answer.txt", b"hello"), "facts .json or a revert .safetensors"),
])
def test_bad_answers_get_one_line_errors(memit, answer, message):
    with pytest.raises(BadAnswer, match=message.replace("(", r"\(").replace(".", r"\.")) as err:
        get_kind("edit").parse_answer(answer, memit)
    assert "\n" not in str(err.value)


def test_unknown_relation_and_object_are_named(memit):
    from interpctf.data.world import World
    subject = World.load(memit.bundle_dir / "model" / "world.json").subjects[0]
    kind = get_kind("edit")
    with pytest.raises(BadAnswer, match="unknown relation 'colour'"):
        kind.parse_answer(_facts({"subject": subject, "relation": "colour", "new_object": "red"}), memit)
    with pytest.raises(BadAnswer, match="'red' is not an object of relation 'city'"):
        kind.parse_answer(_facts({"subject": subject, "relation": "city", "new_object": "red"}), memit)


@pytest.mark.parametrize("tensors, message", [
    ({"transformer.h.9.mlp.c_proj.weight": np.zeros((2, 2), np.float32)}, "no parameter"),
    ({"transformer.h.1.mlp.c_proj.weight": np.zeros((2, 2), np.float32)}, "has shape"),
    ({"transformer.h.1.mlp.c_proj.bias": np.full(128, np.nan, np.float32)}, "NaN or infinite"),
    ({"transformer.h.1.mlp.c_proj.bias": np.zeros(128, np.int32)}, "floating point"),
])
def test_malformed_deltas_are_refused(memit, tensors, message):
    with pytest.raises(BadAnswer, match=message):
        get_kind("edit").parse_answer(_safetensors(tensors), memit)


def test_the_card_explains_both_answers(rome):
    text = get_kind("edit").card(rome)
    assert "facts" in text and "revert" in text and "world.json" in text
