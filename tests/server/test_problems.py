"""``/problems`` and ``/api/v1/problems``: every catalogue entry with its reference challenges and lab tasks, this
event's challenges that name it (from their manifests) with live status (open, then solved in this event), the
best lab score of linked tasks, a category filter with a one-line 400 for an unknown one, and the challenge page
linking back."""

import json
import shutil

from server_support import SECRET_ANSWER, event_spec, make_server, player, wait_graded

from interpctf.lab.store import RunStore


def _linked_copy(tiny, tmp_path):
    """The tiny challenge with ``problems`` in its manifests (outside the key's hashed files, so it verifies)."""
    copy = tmp_path / "tiny-linked"
    shutil.copytree(tiny, copy)
    for manifest in copy.glob("variants/*/bundle/challenge.json"):
        data = json.loads(manifest.read_text())
        manifest.write_text(json.dumps({**data, "problems": ["alg-modular-addition"]}, indent=1))
    return copy


def test_problems_page_status_filter_and_links(tiny, tmp_path, monkeypatch):
    lab = tmp_path / "lab"
    store = RunStore(lab)
    run = store.reserve("sae-toy", {}, "h", 0, "0", None)
    store.complete(run, metrics={}, score=0.625, score_note=None, stopped=None, steps=1, duration_s=1.0,
                   artifacts_path="a")
    monkeypatch.setenv("INTERPCTF_LAB_DIR", str(lab))
    spec = event_spec(tiny)
    spec["challenges"] = [{**spec["challenges"][0], "forged": str(_linked_copy(tiny, tmp_path))}]
    server = make_server(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", spec)
    try:
        anon = server.new_client()
        entries = {e["id"]: e for e in anon.get("/api/v1/problems").json()["entries"]}
        add = entries["alg-modular-addition"]
        assert add["live"] == "open" and add["event_challenges"] == [{"slug": "tiny", "title": add[
            "event_challenges"][0]["title"], "solved": False}]
        assert "pairs-2023" in add["links"]["challenges"]
        assert {"task": "sae-toy", "best_score": 0.625} in entries["sup-toy-models"]["lab"]
        alice = player(server, "alice")
        page = alice.get("/challenges/tiny").text
        assert 'href="/problems#alg-modular-addition"' in page
        r = alice.post("/api/v1/challenges/tiny/submissions", files={"file": ("a.py", SECRET_ANSWER)})
        assert wait_graded(alice, r.json()["id"])["public_solved"]
        entries = {e["id"]: e for e in anon.get("/api/v1/problems").json()["entries"]}
        assert entries["alg-modular-addition"]["live"] == "solved in this event"
        html = anon.get("/problems?category=algorithmic-problems").text
        assert 'id="alg-modular-addition"' in html and "solved in this event" in html
        assert 'id="sae-transcoders"' not in html and 'href="/challenges/tiny"' in html
        bad = anon.get("/api/v1/problems?category=nope")
        assert bad.status_code == 400 and bad.json()["detail"].startswith("unknown category 'nope'")
        every = anon.get("/problems").text
        for slug in ("pairs-2023", "digits-l1band", "trojan-detect", "edit-memit-vocab", "sae-lm", "sae-digits"):
            assert slug in every
    finally:
        server.client.__exit__(None, None, None)
