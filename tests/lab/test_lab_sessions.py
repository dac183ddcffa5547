"""Lab sessions: budgets parsed or refused in one line, one active session per store, runs refused past the budget
or on another task, submissions only of the session's own runs, and the participant columns added to an old store."""

import sqlite3
import time

import pytest

from interpctf.lab.sessions import (SessionError, SessionStore, check_submit, format_duration, parse_budget,
                                    participant_for_run)
from interpctf.lab.store import Participant, RunStore
from interpctf.lab.tasks import UnknownTask


@pytest.mark.parametrize("text, seconds", [("2h", 7200), ("90m", 5400), ("1h30m", 5400), ("45s", 45),
                                           ("1.5h", 5400), ("600", 600), (" 2H ", 7200)])
def test_parse_budget(text, seconds):
    assert parse_budget(text) == seconds


@pytest.mark.parametrize("text", ["", "2x", "h", "-1h", "0m", "30m2h", "8d", "999h", "2 h"])
def test_malformed_budget_is_one_line_naming_the_option(text):
    with pytest.raises(SessionError) as err:
        parse_budget(text)
    assert str(err.value).startswith("--budget:") and "\n" not in str(err.value)


def test_format_duration():
    assert (format_duration(59.6), format_duration(3725)) == ("1m00s", "1h02m05s")


def test_one_active_session_and_an_unknown_task(lab_dir):
    sessions = SessionStore(lab_dir)
    with pytest.raises(UnknownTask, match="sae-toy"):
        sessions.start("no-such-task", 60, "ann")
    first = sessions.start("sae-toy", 3600, "ann")
    with pytest.raises(SessionError, match=f"session {first.id} .* is active"):
        sessions.start("sae-toy", 3600, "bob")
    assert sessions.active() == first
    stopped = sessions.stop()
    assert stopped.stopped_at is not None and sessions.active() is None
    with pytest.raises(SessionError, match="no lab session is active"):
        sessions.stop()
    assert sessions.start("sae-digits", 60, "bob").participant == "bob"  # a new one once the first stopped


def test_runs_counted_refused_past_budget_or_on_another_task(lab_dir):
    t0 = 1_000_000.0
    session = SessionStore(lab_dir).start("sae-toy", 600, "ann", now=t0)
    store = RunStore(lab_dir)
    who = participant_for_run(session, store, "sae-toy", now=t0 + 30)
    assert who == Participant("ann", "human", session.id, 30.0, 1)
    rid = store.reserve("sae-toy", {}, "h", 0, "v", None)
    store.set_participant(rid, who)
    assert participant_for_run(session, store, "sae-toy", now=t0 + 60).experiment == 2
    with pytest.raises(SessionError, match="is on sae-toy, not sae-digits"):
        participant_for_run(session, store, "sae-digits", now=t0 + 60)
    with pytest.raises(SessionError, match="budget of 10m00s is spent") as err:
        participant_for_run(session, store, "sae-toy", now=t0 + 601)
    assert "\n" not in str(err.value)
    own, other = store.get(rid), store.get(store.reserve("sae-toy", {}, "h", 0, "v", None))
    check_submit(session, own, now=t0 + 100)
    with pytest.raises(SessionError, match="not one of session"):
        check_submit(session, other, now=t0 + 100)
    with pytest.raises(SessionError, match="is spent"):
        check_submit(session, own, now=t0 + 700)


def test_participant_columns_are_added_to_an_old_store(tmp_path):
    db = sqlite3.connect(tmp_path / "runs.sqlite")
    db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL, config TEXT NOT NULL,"
               " config_hash TEXT NOT NULL, seed INTEGER NOT NULL, metrics TEXT NOT NULL, score REAL,"
               " score_note TEXT, stopped TEXT, steps INTEGER NOT NULL, duration_s REAL NOT NULL,"
               " package_version TEXT NOT NULL, git_commit TEXT, artifacts_path TEXT NOT NULL,"
               " created_at REAL NOT NULL, test_metrics TEXT, test_score REAL, submitted_at REAL)")
    db.execute("INSERT INTO runs (task, config, config_hash, seed, metrics, steps, duration_s, package_version,"
               " artifacts_path, created_at) VALUES ('sae-toy', '{}', 'h', 0, '{}', 1, 1.0, 'v', '/a', ?)",
               (time.time(),))
    db.commit()
    db.close()
    old = RunStore(tmp_path).get(1)
    assert (old.participant, old.participant_kind, old.session_id) == (None, "cli", None)
    RunStore(tmp_path).set_participant(1, Participant("m", "agent", "s1", 2.5, 1))
    tagged = RunStore(tmp_path).get(1)
    assert (tagged.participant, tagged.participant_kind, tagged.session_id, tagged.session_elapsed_s,
            tagged.session_experiment) == ("m", "agent", "s1", 2.5, 1)
