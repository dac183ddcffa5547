"""A lab task as an Inspect task, driven offline by Inspect's mock model: the scripted agent writes a config into
its workspace, really runs an experiment on sae-toy at a tiny budget, reads the result and a plot, is refused past
its experiment budget, and submits; the run is in the store as the agent's, and the score is the test score the
lab computed and stored, whatever the agent claims."""

import json

import pytest

pytest.importorskip("inspect_ai")

TINY = "architecture: topk\nwidth: 64\nk: 4\nsteps: 30\nbatch_size: 256\n"


def _eval(task, outputs, log_dir):
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import get_model

    from tests.inspect.test_task import _offline

    logs = inspect_eval(task, model=get_model("mockllm/model", custom_outputs=_offline(outputs)),
                        log_dir=str(log_dir), display="none")
    assert logs[0].status == "success", logs[0].error
    return logs[0].samples[0]


def test_scripted_agent_runs_reads_and_submits(tmp_path):
    from inspect_ai.model import ModelOutput

    from interpctf.inspect.lab_task import interpctf_lab
    from interpctf.lab.store import RunStore
    from interpctf.lab.tasks import get_task

    m, runs = "mockllm/model", tmp_path / "lab"
    outputs = [ModelOutput.for_tool_call(m, "write_file", {"path": "config.yaml", "content": TINY}),
               ModelOutput.for_tool_call(m, "write_file", {"path": "../outside.yaml", "content": TINY}),
               ModelOutput.for_tool_call(m, "run_experiment", {"config": "config.yaml"}),
               ModelOutput.for_tool_call(m, "read_results", {"run_id": 1}),
               ModelOutput.for_tool_call(m, "read_plot", {"run_id": 1, "plot": "dead"}),
               ModelOutput.for_tool_call(m, "list_runs", {}),
               ModelOutput.for_tool_call(m, "run_experiment", {"config": "config.yaml"}),
               ModelOutput.for_tool_call(m, "submit", {"run_id": 1}),
               ModelOutput.for_tool_call(m, "submit", {"run_id": 1}),
               ModelOutput.from_content(m, "My score is 1.0.")]
    sample = _eval(interpctf_lab(task="sae-toy", max_experiments=1, max_seconds=30, runs_dir=str(runs)), outputs,
                   tmp_path / "logs")
    assert "Lab task sae-toy" in sample.input and "Experiments: 1 runs in all" in sample.input
    tools = [msg for msg in sample.messages if msg.role == "tool"]
    assert "wrote config.yaml" in tools[0].content
    assert "relative path inside your workspace" in tools[1].error.message
    ran = json.loads(tools[2].content)
    assert ran["run_id"] == 1 and ran["steps"] == 30 and ran["experiments_left"] == 0
    result = json.loads(tools[3].content)
    assert result["status"] == "completed" and result["config"]["width"] == 64
    assert set(get_task("sae-toy").metric_names) <= set(result["validation_metrics"])
    assert [c.type for c in tools[4].content] == ["text", "image"] and "dead fraction" in tools[4].content[0].text
    assert json.loads(tools[5].content)["experiments_used"] == 1
    assert "experiment budget used up (1 of 1 runs)" in tools[6].error.message
    submitted = json.loads(tools[7].content)
    assert "already submitted" in tools[8].error.message

    rec = RunStore(runs).get(1)
    assert (rec.participant, rec.participant_kind, rec.session_id) == ("mockllm/model", "agent", sample.uuid)
    assert len(RunStore(runs).session_runs(sample.uuid)) == 1  # the refused run left no row
    assert rec.test_metrics is not None and submitted["test_score"] == rec.test_score
    expected, _ = get_task("sae-toy").score(rec.test_metrics)  # the task's own normalization of the test metrics
    score = sample.scores["lab_score"]
    assert score.value == pytest.approx(expected) == pytest.approx(rec.test_score)
    assert score.metadata["run_id"] == 1 and score.metadata["experiments"] == 1
    assert (runs / "workspaces" / sample.uuid / "config.yaml").read_text() == TINY


def test_no_submission_scores_zero_and_bad_config_is_not_counted(tmp_path):
    from inspect_ai.model import ModelOutput

    from interpctf.inspect.lab_task import interpctf_lab

    m = "mockllm/model"
    outputs = [ModelOutput.for_tool_call(m, "write_file", {"path": "c.yaml", "content": "width: 100000\n"}),
               ModelOutput.for_tool_call(m, "run_experiment", {"config": "c.yaml"}),
               ModelOutput.for_tool_call(m, "run_experiment", {"config": "missing.yaml"}),
               ModelOutput.for_tool_call(m, "read_results", {"run_id": 7}),
               ModelOutput.for_tool_call(m, "list_runs", {}),
               ModelOutput.from_content(m, "I give up.")]
    sample = _eval(interpctf_lab(task="sae-toy", max_experiments=2, runs_dir=str(tmp_path / "lab")), outputs,
                   tmp_path / "logs")
    tools = [msg for msg in sample.messages if msg.role == "tool"]
    assert "width" in tools[1].error.message
    assert "not a file in your workspace" in tools[2].error.message
    assert "no run 7" in tools[3].error.message
    assert json.loads(tools[4].content) == {"runs": [], "experiments_used": 0, "experiments_left": 2}
    assert sample.scores["lab_score"].value == 0.0


def test_unknown_task_is_refused():
    from interpctf.errors import InterpctfError
    from interpctf.inspect.lab_task import interpctf_lab

    with pytest.raises(InterpctfError, match="unknown lab task 'nope'"):
        interpctf_lab(task="nope")


@pytest.mark.slow
def test_agent_code_sae_runs_in_the_sandbox_and_a_broken_one_counts_as_failed(tmp_path):
    """The agent's module trains in the sandbox; one that opens a socket fails with its reason, counted against the
    budget, and the submitted code run's test codes are encoded in the sandbox again."""
    from pathlib import Path

    from inspect_ai.model import ModelOutput

    from interpctf.inspect.lab_task import interpctf_lab
    from interpctf.lab.store import RunStore
    from interpctf.testing.sandbox import require_sandbox

    require_sandbox("code runs need the sandbox")
    example = (Path(__file__).resolve().parents[2] / "recipes" / "lab" / "code" / "relu_threshold.py").read_text()
    attack = example + "\nimport socket\nsocket.socket()\n"
    config = "width: 64\nsparsity_coefficient: 0.1\nsteps: 20\nbatch_size: 256\ndead_latents: none\n"
    m, runs = "mockllm/model", tmp_path / "lab"
    outputs = [ModelOutput.for_tool_call(m, "write_file", {"path": "sae.py", "content": example}),
               ModelOutput.for_tool_call(m, "write_file", {"path": "bad/sae.py", "content": attack}),
               ModelOutput.for_tool_call(m, "write_file", {"path": "tiny.yaml", "content": config}),
               ModelOutput.for_tool_call(m, "run_experiment", {"config": "tiny.yaml", "code": "sae.py"}),
               ModelOutput.for_tool_call(m, "run_experiment", {"config": "tiny.yaml", "code": "bad/sae.py"}),
               ModelOutput.for_tool_call(m, "list_runs", {}),
               ModelOutput.for_tool_call(m, "submit", {"run_id": 1}),
               ModelOutput.from_content(m, "Done.")]
    sample = _eval(interpctf_lab(task="sae-toy", max_experiments=3, runs_dir=str(runs)), outputs, tmp_path / "logs")
    tools = [msg for msg in sample.messages if msg.role == "tool"]
    assert json.loads(tools[3].content)["run_id"] == 1
    assert "counted: 2 of 3 experiments used" in tools[4].error.message
    listed = json.loads(tools[5].content)["runs"]
    assert [r["status"] for r in listed] == ["completed", "failed"] and listed[1]["failure"]
    rec = RunStore(runs).get(1)
    assert rec.config["architecture"] == "code" and rec.participant_kind == "agent"
    assert sample.scores["lab_score"].value == pytest.approx(rec.test_score)


def test_every_lab_task_is_an_agent_task():
    from interpctf.inspect.lab_task import interpctf_lab
    from interpctf.lab.tasks import get_task, task_names

    for name in task_names():
        (sample,) = interpctf_lab(task=name, max_experiments=3).dataset
        assert f"# Lab task {name}" in sample.input and "Experiments: 3 runs in all" in sample.input
        assert get_task(name).instructions.strip()[:60] in sample.input
