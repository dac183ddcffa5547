"""The ``editability`` task end to end on a tiny world: train -> read the weights back -> gate -> ROME, MEMIT and
sequential ROME -> score -> store, leaderboard and ``submit``; the gate's failures scored 0 with their reason; bad
configs refused in one line with the store untouched; the ``extra_loss`` hook trained in the sandbox.

The models are tiny and trained for a few steps: these tests are about the path and the bookkeeping, not about how
editable a model gets (``benchmarks/bench_editability.py`` and the slow test measure the full-size task).
"""

from __future__ import annotations

import textwrap

import pytest

from interpctf import lab
from interpctf.errors import InterpctfError
from interpctf.testing.sandbox import require_sandbox
from interpctf.lab.code.host import CodeRunFailed
from interpctf.lab.config import BadLabConfig
from interpctf.lab.editability.measure import SCHEMES, GateReference
from interpctf.lab.editability.weights import n_params
from interpctf.lab.metrics import normalized_score
from interpctf.lab.store import RunStore, board_name
from interpctf.lab.tasks import get_task
from interpctf.lab.tasks.editability import EditabilityTask

TINY = {"n_layer": 2, "n_embd": 32, "n_head": 2, "d_mlp": 64, "steps": 20, "warmup": 2, "batch_size": 16,
        "row_tokens": 16, "lr": 1e-2}
OPTIONS = {"n_subjects": 12, "n_edits": 3, "stats_docs": 20, "gate_config": TINY}


def _tiny_params() -> int:
    task = get_task("editability", OPTIONS)
    world, tokenizer = task.world()
    return n_params(task.config(TINY), len(tokenizer), 64)


@pytest.fixture
def strict_gate(monkeypatch):
    """A yardstick no few-step model reaches (recall 1.0) at the tiny config's size: the reference is not trained."""
    ref = GateReference(recall_train=1.0, recall_paraphrase=1.0, n_params=_tiny_params())
    monkeypatch.setattr(EditabilityTask, "reference", lambda self, *a: ref)
    return ref


def test_a_run_is_trained_gated_edited_scored_recorded_and_submitted(lab_dir):
    # gate_config is the run's own config: the reference is trained the same way (same seed, same thread), so the
    # gate holds by construction and all three editing schemes run.
    result = lab.run("editability", TINY, task_options=OPTIONS)
    m = result.metrics
    assert result.score_note is None and result.steps == TINY["steps"]
    for scheme in SCHEMES:
        for part in ("efficacy", "paraphrase", "neighborhood", "recall_after", "score"):
            assert 0.0 <= m[f"{scheme}_{part}"] <= 1.0
    assert m["editability"] == pytest.approx(sum(m[f"{s}_score"] for s in SCHEMES) / 3)
    assert result.score == pytest.approx(normalized_score(m["editability"], *EditabilityTask.anchors))
    store = RunStore(lab_dir)
    assert [r.id for r in store.list("editability", board_name(OPTIONS))] == [result.run_id]
    assert store.list("editability") == []  # the tiny world is a board of its own
    assert list(lab_dir.glob("cache/editability-reference-*.json"))  # the yardstick, trained once and cached

    from transformers import AutoModelForCausalLM

    saved = AutoModelForCausalLM.from_pretrained(f"{result.artifacts_path}/model", local_files_only=True)
    assert saved.config.n_layer == 2 and saved.config.n_inner == 64

    first = lab.submit(result.run_id)
    assert first.first_submission and set(SCHEMES) <= {k.split("_")[0] for k in first.test_metrics}
    again = lab.submit(result.run_id)
    assert not again.first_submission and again.test_metrics == first.test_metrics


def test_too_many_parameters_scores_zero_without_training(lab_dir, strict_gate):
    result = lab.run("editability", {**TINY, "n_embd": 64}, task_options=OPTIONS)
    assert result.metrics["editability"] == 0.0 and result.score <= 0.0 and result.steps == 0
    assert result.score_note.startswith("gate: ") and "parameters is over 1.5x the reference's" in result.score_note
    assert "\n" not in result.score_note
    assert [r.score_note for r in RunStore(lab_dir).list("editability", board_name(OPTIONS))] == [result.score_note]
    assert lab.submit(result.run_id).test_metrics["editability"] == 0.0


def test_recall_below_the_reference_scores_zero_with_the_reason(lab_dir, strict_gate):
    result = lab.run("editability", {**TINY, "steps": 3}, task_options=OPTIONS)
    assert result.metrics["editability"] == 0.0 and result.score <= 0.0 and result.steps == 3
    assert result.score_note.startswith("gate: recall_train ") and "below the reference's 1.0000" in result.score_note
    assert "rome_score" not in result.metrics  # no edit is measured on a model that failed the gate


@pytest.mark.parametrize("config, message", [
    ({"n_layers": 3}, "bad lab config: n_layers: unknown field"),
    ({"n_embd": 32, "n_head": 3}, "bad lab config: n_head: 3 does not divide n_embd 32"),
    ({"dropout": 0.9}, "bad lab config: dropout: Input should be less than or equal to 0.5"),
    ({"activation": "swish"}, "bad lab config: activation: Input should be"),
    ({"steps": 7000}, "bad lab config: steps: 7000 is over editability's cap of 6000"),
])
def test_a_bad_config_is_one_line_and_leaves_the_store_untouched(lab_dir, config, message):
    with pytest.raises(BadLabConfig) as err:
        lab.run("editability", config, task_options=OPTIONS)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
    store = RunStore(lab_dir)
    assert store.list(None, None) == [] and store.failed(None, None) == []


def test_a_bad_task_option_names_it():
    with pytest.raises(InterpctfError, match="^--n_edits: Input should be greater than or equal to 1"):
        get_task("editability", {"n_edits": 0})


# --- code runs: extra_loss in the sandbox ---------------------------------------------------------------------

@pytest.fixture
def sandbox():
    require_sandbox("code runs need the sandbox")


def test_extra_loss_trains_in_the_sandbox_and_the_host_judges(tmp_path, lab_dir, sandbox, strict_gate):
    hook = tmp_path / "hook.py"
    hook.write_text(textwrap.dedent("""
        def extra_loss(model, batch, outputs):
            # a weight penalty on the MLPs' output projections (the matrices ROME rewrites)
            return 1e-3 * sum((b.mlp.c_proj.weight ** 2).sum() for b in model.transformer.h)
    """))
    result = lab.run("editability", TINY, task_options=OPTIONS, code=hook)
    assert result.steps == TINY["steps"] and 0.0 <= result.metrics["recall_train"] <= 1.0
    assert result.score_note.startswith("gate: recall_train")  # the strict yardstick: judged by the host


def test_a_hook_cannot_import_the_world_and_its_run_is_recorded_as_failed(tmp_path, lab_dir, sandbox):
    hook = tmp_path / "hook.py"
    hook.write_text("from interpctf.data.world import World\n\ndef extra_loss(model, batch, outputs):\n    return 0\n")
    with pytest.raises(CodeRunFailed, match="ModuleNotFoundError: No module named 'interpctf.data'") as err:
        lab.run("editability", TINY, task_options=OPTIONS, code=hook)
    assert "\n" not in str(err.value)
    store = RunStore(lab_dir)
    assert store.list(None, None) == []
    assert [r.failure.split(":")[0] for r in store.failed(None, None)] == ["ModuleNotFoundError"]


@pytest.mark.slow
def test_the_full_size_task_gates_and_measures_150_edits():
    """The task as shipped, baseline config: the shipped world model's recipe passes its own gate (recall 1.0 and
    0.998 recorded for it), and 50 edits per scheme are measured."""
    result = lab.run("editability", None, record=False)
    assert result.score_note is None, result.score_note
    assert 0.0 <= result.metrics["editability"] <= 1.0
