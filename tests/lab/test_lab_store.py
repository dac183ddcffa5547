"""The runs store round trip, and test metrics written once."""

import sqlite3

from interpctf.lab.store import Participant, RunStore, board_name, runs_dir


def test_round_trip(tmp_path):
    store = RunStore(tmp_path / "runs")
    rid = store.reserve("sae-toy", {"architecture": "topk", "k": 7}, "abc123", 4, "0.1.0", "deadbeef")
    assert store.list("sae-toy") == []  # a reserved run is not on the leaderboard until it completes
    store.complete(rid, metrics={"mmcs": 0.9, "l0": 7.0}, score=0.8, score_note=None, stopped="time budget",
                   steps=10, duration_s=1.5, artifacts_path="/x")
    rec = RunStore(tmp_path / "runs").get(rid)  # a fresh connection reads it back
    assert (rec.task, rec.config, rec.config_hash, rec.seed) == ("sae-toy", {"architecture": "topk", "k": 7},
                                                                 "abc123", 4)
    assert rec.metrics == {"mmcs": 0.9, "l0": 7.0} and rec.score == 0.8 and rec.stopped == "time budget"
    assert (rec.package_version, rec.git_commit, rec.artifacts_path) == ("0.1.0", "deadbeef", "/x")
    assert rec.test_metrics is None
    assert store.set_test(rid, {"mmcs": 0.88}, 0.7) is True
    assert store.set_test(rid, {"mmcs": 0.1}, 0.0) is False  # the first submission stands
    assert store.get(rid).test_metrics == {"mmcs": 0.88}


def test_leaderboard_order(tmp_path):
    store = RunStore(tmp_path)
    for score in (0.2, 0.9, 0.5):
        rid = store.reserve("t", {}, "h", 0, "v", None)
        store.complete(rid, metrics={}, score=score, score_note=None, stopped=None, steps=1, duration_s=1,
                       artifacts_path="/a")
    assert [r.score for r in store.list("t")] == [0.9, 0.5, 0.2]


def test_location_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("INTERPCTF_LAB_DIR", str(tmp_path / "env"))
    assert runs_dir() == tmp_path / "env"
    assert runs_dir(tmp_path / "flag") == tmp_path / "flag"
    monkeypatch.delenv("INTERPCTF_LAB_DIR")
    assert str(runs_dir()) == ".interpctf/lab"


def test_a_failed_run_keeps_its_reason_and_stays_off_the_leaderboard(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    with sqlite3.connect(old / "runs.sqlite") as db:  # a store from before runs could fail: no failure column
        db.executescript(_SCHEMA_WITHOUT_FAILURE)
    store = RunStore(old)
    run_id = store.reserve("sae-toy", {"a": 1}, "h", 0, "v", None)
    store.fail(run_id, "the run ran out of memory (budget 4096 MiB)")
    (failed,) = store.failed("sae-toy")
    assert failed.id == run_id and failed.failure.startswith("the run ran out of memory")
    assert store.list("sae-toy") == [] and store.failed("sae-digits") == []


_SCHEMA_WITHOUT_FAILURE = """
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL, config TEXT NOT NULL,
    config_hash TEXT NOT NULL, seed INTEGER NOT NULL, metrics TEXT NOT NULL, score REAL, score_note TEXT, stopped TEXT,
    steps INTEGER NOT NULL, duration_s REAL NOT NULL, package_version TEXT NOT NULL, git_commit TEXT,
    artifacts_path TEXT NOT NULL, created_at REAL NOT NULL, test_metrics TEXT, test_score REAL, submitted_at REAL);
"""


def test_runs_with_other_task_options_have_a_leaderboard_of_their_own(tmp_path):
    """sae-lm on another model scores CE recovered on that model: it must not outrank or hide the shipped task's runs."""
    store = RunStore(tmp_path)
    own = board_name({"model": "/models/pythia", "hook": "blocks.3.hook_resid_post", "corpus": None})
    assert own == board_name({"hook": "blocks.3.hook_resid_post", "model": "/models/pythia"}) != ""
    assert board_name({"model": None, "hook": None}) == ""
    shipped = store.reserve("sae-lm", {"a": 1}, "h", 0, "v", None)
    other = store.reserve("sae-lm", {"a": 1}, "h", 0, "v", None, own)
    for run_id, score in ((shipped, 0.5), (other, 0.99)):
        store.complete(run_id, metrics={}, score=score, score_note=None, stopped=None, steps=1, duration_s=1.0,
                       artifacts_path=str(tmp_path / str(run_id)))
    assert [r.id for r in store.list("sae-lm")] == [shipped]
    assert [r.id for r in store.list("sae-lm", own)] == [other]
    assert {r.id for r in store.list("sae-lm", None)} == {shipped, other}
    assert store.get(other).board == own


def test_a_store_from_before_task_options_gains_the_board_column(tmp_path):
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        db.executescript(_SCHEMA_WITHOUT_FAILURE)
        db.execute("INSERT INTO runs (task, config, config_hash, seed, metrics, steps, duration_s, package_version,"
                   " artifacts_path, created_at, score) VALUES ('sae-toy', '{}', 'h', 0, '{}', 1, 1, 'v', '/x', 0, 0.7)")
    (old,) = RunStore(tmp_path).list("sae-toy")
    assert old.board == "" and old.score == 0.7


def test_runs_name_who_ran_them_and_old_stores_read_as_cli_runs(tmp_path):
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        db.executescript(_SCHEMA_WITHOUT_FAILURE)
        db.execute("INSERT INTO runs (task, config, config_hash, seed, metrics, steps, duration_s, package_version,"
                   " artifacts_path, created_at) VALUES ('sae-toy', '{}', 'h', 0, '{}', 1, 1, 'v', '/x', 0)")
    store = RunStore(tmp_path)
    (old,) = store.list("sae-toy")
    assert (old.participant, old.participant_kind, old.session_id) == (None, "cli", None)
    agent = store.reserve("sae-toy", {}, "h", 0, "v", None)
    store.set_participant(agent, Participant("mockllm/model", "agent", "s1", 3.0, 1))
    store.fail(agent, "the run ran out of memory")
    (rec,) = store.session_runs("s1")
    assert (rec.id, rec.participant, rec.participant_kind) == (agent, "mockllm/model", "agent")
    assert store.session_runs("other") == []
