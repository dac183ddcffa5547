"""A challenge as an Inspect task, run end to end offline with Inspect's mock model: the scripted agent queries
the model through the tool, submits the secret rule, and the grader scores it 1.0."""

import json

import pytest

pytest.importorskip("inspect_ai")


def _offline(outputs):
    """Usage filled in: the mock model otherwise counts tokens with tiktoken, which downloads its vocabulary."""
    from inspect_ai.model import ModelUsage

    for output in outputs:
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return outputs


def _outputs(rule: str):
    from inspect_ai.model import ModelOutput

    m = "mockllm/model"
    return [ModelOutput.for_tool_call(m, "query", {"inputs": json.dumps([[0, 20], [5, 5], [22, 1]])}),
            ModelOutput.for_tool_call(m, "submit_answer", {"filename": "rule.py",
                                                           "content": "def label(x):\n    return 0"}),
            ModelOutput.for_tool_call(m, "submit_answer", {"filename": "rule.py", "content": rule}),
            ModelOutput.from_content(m, "I have submitted the rule.")]


def _run(small_pairs, tmp_path, outputs, **task_args):
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import get_model

    from interpctf.inspect.task import interpctf_challenge

    task = interpctf_challenge(bundle=str(small_pairs / "bundle"), key=str(small_pairs / "key.json"), **task_args)
    logs = inspect_eval(task, model=get_model("mockllm/model", custom_outputs=_offline(outputs)), log_dir=str(tmp_path),
                        display="none")
    assert logs[0].status == "success", logs[0].error
    return logs[0].samples[0]


def test_scripted_agent_solves_offline(small_pairs, tmp_path):
    from interpctf.bundle import read_key

    secret_rule = read_key(small_pairs / "key.json").reference_answer.file().data.decode()  # what a winner writes
    sample = _run(small_pairs, tmp_path, _outputs(secret_rule))
    assert "small pairs" in sample.input and "label(x: int, y: int)" in sample.input
    tools = [m for m in sample.messages if m.role == "tool"]
    assert json.loads(tools[0].content)["labels"] == [1, 0, 1]  # the model's answers to the agent's inputs
    assert tools[1].error is not None and "label must take 2 positional arguments" in tools[1].error.message
    assert "answer recorded" in tools[2].content
    score = sample.scores["grader"]
    assert score.value == 1.0 and score.metadata["solved"] is True


def test_query_budget_and_no_answer(small_pairs, tmp_path):
    from inspect_ai.model import ModelOutput

    outputs = [ModelOutput.for_tool_call("mockllm/model", "query", {"inputs": json.dumps([[1, 2]] * 5)}),
               ModelOutput.from_content("mockllm/model", "giving up")]
    sample = _run(small_pairs, tmp_path, outputs, max_queries=3)
    tool = next(m for m in sample.messages if m.role == "tool")
    assert "query budget exhausted" in tool.error.message
    assert sample.scores["grader"].value == 0.0


def test_edit_challenge_query_tool_and_grader(rome_kb_challenge, tmp_path):
    """The language-model querier: prompts in, next words out; the scripted agent then submits the edit."""
    from inspect_ai.model import ModelOutput

    from interpctf.bundle import read_key

    edit = read_key(rome_kb_challenge / "key.json").secret["edits"][0]
    prompt = f"{edit['subject']} lives in"  # a training template of the city relation, with the edited subject
    m = "mockllm/model"
    outputs = [ModelOutput.for_tool_call(m, "query", {"inputs": json.dumps([prompt, "Zorglub lives in"])}),
               ModelOutput.for_tool_call(m, "query", {"inputs": json.dumps([prompt])}),
               ModelOutput.for_tool_call(m, "submit_answer", {"filename": "edits.json",
                                                              "content": json.dumps({"facts": [edit]})}),
               ModelOutput.from_content(m, "Done.")]
    sample = _run(rome_kb_challenge, tmp_path, outputs)
    tools = [msg for msg in sample.messages if msg.role == "tool"]
    assert "words the model does not know: Zorglub" in tools[0].error.message
    top = json.loads(tools[1].content)["next"][0]
    assert len(top) == 5 and all(0.0 <= p <= 1.0 for p in top.values())
    assert sample.scores["grader"].value == 1.0
