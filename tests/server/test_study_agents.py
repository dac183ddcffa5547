"""Agent raters through Inspect, offline with its mock model: the study's questions exported by the server
become samples (images and candidates as input), the scripted model's choices are read from the log, posted as
one agent rater's answers, graded apart from the humans' and shown beside them on the results page."""

import json

import pytest

from test_study_api import _open_study, _rater

from interpctf.server import study

pytest.importorskip("inspect_ai")


def _offline(outputs):
    """Usage filled in: the mock model otherwise counts tokens with tiktoken, which downloads its vocabulary."""
    from inspect_ai.model import ModelUsage

    for output in outputs:
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return outputs


def test_agent_raters_answer_through_inspect_and_are_graded_apart(server_factory, tmp_path):
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import ModelOutput, get_model

    from interpctf.inspect.study_task import choices_from_log, interpctf_study

    server, boss, _ = _open_study(server_factory)
    exported = boss.get("/api/v1/admin/study/agent-questions").json()
    state = study.load(server.state)
    asked = {q["id"]: q for q in state.questions if not q["attention"]}
    assert [q["id"] for q in exported["questions"]] == list(asked)
    assert "answer" not in json.dumps(exported)  # the export gives no answer away
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(exported))

    # the scripted agent is right on every question but the first, where it answers nothing usable
    ids = list(asked)
    replies = ["I cannot tell."] + [f"It is this one.\nANSWER: {asked[q]['answer'] + 1}" for q in ids[1:]]
    model = get_model("mockllm/model", custom_outputs=_offline([ModelOutput.from_content("mockllm/model", r)
                                                                for r in replies]))
    logs = inspect_eval(interpctf_study(questions=str(path)), model=model, log_dir=str(tmp_path / "logs"),
                        display="none", max_samples=1)
    assert logs[0].status == "success", logs[0].error
    sample = logs[0].samples[0]
    assert sum(1 for part in sample.input[0].content if part.type == "image") >= 1  # the images went in
    choices = choices_from_log(logs[0])
    got = {q: asked[q]["answer"] for q in choices}
    assert len(choices) == len(ids) - 1 and choices == got

    r = boss.post("/api/v1/admin/study/agent-answers", json={"model": "mockllm/model", "answers": choices})
    assert r.status_code == 201 and r.json()["answers"] == len(choices)
    bad = boss.post("/api/v1/admin/study/agent-answers", json={"model": "m", "answers": {"nope": 1}})
    assert bad.status_code == 422 and "no question" in bad.json()["detail"]
    before = boss.get("/api/v1/study/results").json()
    assert all(row["overall"]["answers"] == 0 for row in before["submissions"])  # no human answered: unmixed
    rater = _rater(server, "rater1")
    first = rater.get("/api/v1/study/next").json()["question"]
    assert rater.post("/api/v1/study/answers", json={"question": first["id"], "choice": 0}).status_code == 201
    page = boss.get("/study/results").text
    assert 'id="agents"' in page and "mockllm/model" in page
    from interpctf.server.study_agents import results
    agent = results(server.state)["mockllm/model"]
    assert sum(a["answers"] for a in agent.values()) == len(choices)
    assert all(a["right"] == a["answers"] for a in agent.values())
