"""The runs store round trip, and test metrics written once."""

from interpctf.lab.store import RunStore, runs_dir


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
    import sqlite3

    from interpctf.lab.store import RunStore

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
