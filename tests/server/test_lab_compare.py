"""``/lab/compare`` and ``/api/v1/lab/compare``: a section per lab task with ``report compare``'s table, read from
the lab's run store; a task with no session runs says so."""

from server_support import event_spec, make_server

from interpctf.lab.compare import standings, table_row
from interpctf.lab.store import Participant, RunStore


def _tagged(store, score, who):
    rid = store.reserve("sae-toy", {}, "h", 0, "v", None)
    store.complete(rid, metrics={}, score=score, score_note=None, stopped=None, steps=1, duration_s=1.0,
                   artifacts_path="a")
    store.set_participant(rid, who)
    return rid


def test_lab_compare_page_and_api(tiny, tmp_path, monkeypatch):
    lab = tmp_path / "lab"
    store = RunStore(lab)
    _tagged(store, 0.4, Participant("ann", "human", "s-ann", 120.0, 1))
    best = _tagged(store, 0.9, Participant("ann", "human", "s-ann", 300.0, 2))
    _tagged(store, 0.6, Participant("mockllm/model", "agent", "s-agent", 60.0, 1))
    untagged = store.reserve("sae-toy", {}, "h", 0, "v", None)  # a plain CLI run is in no comparison
    store.complete(untagged, metrics={}, score=2.0, score_note=None, stopped=None, steps=1, duration_s=1.0,
                   artifacts_path="a")
    monkeypatch.setenv("INTERPCTF_LAB_DIR", str(lab))
    server = make_server(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", event_spec(tiny))
    try:
        anon = server.new_client()
        body = anon.get("/api/v1/lab/compare").json()
        sections = {t["task"]: t["rows"] for t in body["tasks"]}
        assert set(sections) >= {"sae-toy", "sae-digits", "sae-lm"} and sections["sae-digits"] == []
        assert sections["sae-toy"] == [table_row(s) for s in standings(store.participant_runs("sae-toy"))]
        ann, agent = sections["sae-toy"]
        assert (ann["participant"], ann["kind"], ann["experiments"], ann["best_score"], ann["best_run"],
                ann["wall_min"]) == ("ann", "human", "2", "0.9000", str(best), "5.00")
        assert (agent["participant"], agent["kind"], agent["best_score"]) == ("mockllm/model", "agent", "0.6000")
        html = anon.get("/lab/compare").text
        assert 'id="lab-sae-toy"' in html and "mockllm/model" in html and "0.9000" in html
        assert "No session runs on this task yet" in html  # sae-digits' section
    finally:
        server.client.__exit__(None, None, None)
