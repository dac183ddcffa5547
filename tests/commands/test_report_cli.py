"""Humans and agents side by side, as a person and an agent produce them: a scripted human session through the CLI
(start, two runs, a submission, status, stop; a run past the budget refused), two agent runs written through the
store API as the agent tools record them, then ``interpctf report compare``: its table's numbers are the store's,
and its PNG is a real image. Bad input (an unknown task, a second session, a malformed budget) is one line."""

import csv
import json
import time

import pytest
from typer.testing import CliRunner

from interpctf.cli import app
from interpctf.errors import InterpctfError, one_line
from interpctf.lab.sessions import SessionStore
from interpctf.lab.store import Participant, RunStore

runner = CliRunner()
AGENT = "mockllm/model"


@pytest.fixture(autouse=True)
def lab_dir(tmp_path, monkeypatch):
    path = tmp_path / "lab"
    monkeypatch.setenv("INTERPCTF_LAB_DIR", str(path))
    return path


def _ok(*args):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _error(*args) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code != 0 and isinstance(result.exception, InterpctfError), result.output
    message = one_line(result.exception)
    assert message == str(result.exception)  # already one line
    return message


def _agent_runs(store: RunStore, scores):
    """What the agent tools write: each run reserved, completed and tagged with the model and its session."""
    ids = []
    for n, score in enumerate(scores, 1):
        rid = store.reserve("sae-toy", {"architecture": "topk"}, "h", 0, "v", None)
        store.complete(rid, metrics={"mmcs": score}, score=score, score_note=None, stopped=None, steps=1,
                       duration_s=1.0, artifacts_path=f"/agent/{n}")
        store.set_participant(rid, Participant(AGENT, "agent", "agent-1", 60.0 * n, n))
        ids.append(rid)
    return ids


def test_human_session_agent_runs_and_report_compare(tmp_path, lab_dir):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("steps: 40\nbatch_size: 256\n")
    started = _ok("lab", "session", "start", "sae-toy", "--budget", "2h", "--name", "ann")
    assert "session" in started and "interpctf lab run sae-toy" in started
    assert "is active" in _error("lab", "session", "start", "sae-toy", "--budget", "1h")
    runs = [json.loads(_ok("lab", "run", "sae-toy", "--config", str(cfg), "--seed", str(s), "--json")
                       .strip().splitlines()[-1]) for s in (1, 2)]
    _ok("lab", "submit", str(runs[0]["run_id"]))
    status = json.loads(_ok("lab", "session", "status", "--json"))
    assert status["experiments"] == 2 and status["participant"] == "ann" and status["remaining_s"] > 7000
    assert "stopped" in _ok("lab", "session", "stop")

    store = RunStore(lab_dir)
    human = [store.get(r["run_id"]) for r in runs]
    assert [(r.participant, r.participant_kind, r.session_experiment) for r in human] == [
        ("ann", "human", 1), ("ann", "human", 2)]
    assert human[0].session_id == human[1].session_id == status["id"]
    assert 0 < human[0].session_elapsed_s < human[1].session_elapsed_s
    agent = [store.get(i) for i in _agent_runs(store, [0.25, 0.75])]

    out = tmp_path / "report"
    printed = _ok("report", "compare", "--task", "sae-toy", "--out", str(out))
    assert "| ann | human |" in printed and f"| {AGENT} | agent |" in printed
    rows = {r["participant"]: r for r in csv.DictReader((out / "compare-sae-toy.csv").open())}
    best_human = max(human, key=lambda r: r.score)
    assert rows["ann"] == {
        "participant": "ann", "kind": "human", "session": status["id"], "experiments": "2", "failed": "0",
        "wall_min": f"{human[1].session_elapsed_s / 60:.2f}", "best_score": f"{best_human.score:.4f}",
        "best_run": str(best_human.id), "best_at_min": f"{best_human.session_elapsed_s / 60:.2f}",
        "test_score": f"{store.get(runs[0]['run_id']).test_score:.4f}"}
    assert rows[AGENT] == {"participant": AGENT, "kind": "agent", "session": "agent-1", "experiments": "2",
                           "failed": "0", "wall_min": "2.00", "best_score": "0.7500", "best_run": str(agent[1].id),
                           "best_at_min": "2.00", "test_score": ""}
    assert (out / "compare-sae-toy.md").read_text().count("\n| ") == 3  # the header and one row each

    import matplotlib.image

    png = out / "compare-sae-toy.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(png)
    assert image.ndim == 3 and image.shape[1] > image.shape[0] > 200 and image.std() > 0  # two panels, drawn


def test_a_run_past_the_budget_is_refused(tmp_path, lab_dir):
    SessionStore(lab_dir).start("sae-toy", 60, "bob", now=time.time() - 120)
    assert "budget of 1m00s is spent" in _error("lab", "run", "sae-toy")
    assert RunStore(lab_dir).list("sae-toy") == [] and RunStore(lab_dir).failed("sae-toy") == []  # nothing written
    assert "is on sae-toy, not sae-digits" in _error("lab", "run", "sae-digits")


def test_bad_input_is_one_line():
    assert "unknown lab task 'nope'" in _error("lab", "session", "start", "nope", "--budget", "2h")
    assert _error("lab", "session", "start", "sae-toy", "--budget", "two hours").startswith("--budget:")
    assert "unknown lab task 'nope'" in _error("report", "compare", "--task", "nope")
    assert "no lab session is active" in _error("lab", "session", "stop")
