"""Challenge list and pages, bundle downloads (each team its variant), hints with a point cost, reveal."""

import io
import json
import tarfile

from server_support import BOTH_DBS, SECRET_ANSWER, admin, player, wait_graded
from helpers_time import set_window

from interpctf.bundle import verify


def _manifest(archive: bytes) -> dict:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/challenge.json"))
        return json.loads(tar.extractfile(member).read())


def test_list_and_detail(server):
    c = player(server, "alice")
    items = c.get("/api/v1/challenges").json()
    assert [i["slug"] for i in items] == ["tiny", "capped"]
    assert items[0]["value"] == 500 and items[0]["max_attempts"] == 5 and items[0]["attempts_used"] == 0
    d = c.get("/api/v1/challenges/tiny").json()
    assert d["kind"] == "labelfn" and "label(x" in d["answer_help"] and len(d["commitment"]) == 64
    assert d["hints"] == [{"id": d["hints"][0]["id"], "cost": 25, "unlocked": False, "content": None}]
    assert d["revealed"] is False and "key_url" not in d
    assert c.get("/api/v1/challenges/nope").status_code == 404
    assert server.new_client().get("/api/v1/challenges").status_code == 401


@BOTH_DBS
def test_each_team_downloads_its_variant(server):
    a, b = player(server, "ann"), player(server, "ben")
    va, vb = a.get("/api/v1/challenges/tiny").json()["variant"], b.get("/api/v1/challenges/tiny").json()["variant"]
    assert {va, vb} == {0, 1}
    ra, rb = a.get("/api/v1/challenges/tiny/bundle"), b.get("/api/v1/challenges/tiny/bundle")
    assert ra.status_code == 200 and ra.headers["content-type"] == "application/gzip"
    ma, mb = _manifest(ra.content), _manifest(rb.content)
    assert (ma["variant"], mb["variant"]) == (va, vb) and ma["commitment"] != mb["commitment"]
    assert a.get("/api/v1/challenges/tiny/bundle").content == ra.content  # cached, identical


def test_hint_unlock_costs_points_once(server):
    c = player(server, "cat")
    hint = c.get("/api/v1/challenges/tiny").json()["hints"][0]
    r = c.post(f"/api/v1/hints/{hint['id']}/unlock")
    assert r.status_code == 200 and r.json()["content"] == "think about sums"
    assert c.post(f"/api/v1/hints/{hint['id']}/unlock").status_code == 200  # idempotent: charged once
    assert c.get("/api/v1/challenges/tiny").json()["hints"][0]["unlocked"] is True
    board = c.get("/api/v1/scoreboard").json()
    assert board["standings"][0]["score"] == -25
    assert c.post("/api/v1/hints/999/unlock").status_code == 404


def test_reveal_checks_commitments_and_publishes_keys(server):
    c = player(server, "dan")
    a = admin(server)
    assert a.post("/api/v1/admin/reveal").status_code == 403  # not before the end
    assert c.get("/api/v1/challenges/tiny/key").status_code == 403
    set_window(server, -120, -1)
    # tamper with one variant's key: the reveal must refuse to publish it
    variant = 1 - c.get("/api/v1/challenges/tiny").json()["variant"]
    key_file = server.settings.data_dir / "challenges" / "tiny" / "variants" / f"{variant:03d}" / "key.json"
    key = json.loads(key_file.read_text())
    key["salt"] = "0" * 64
    key_file.write_text(json.dumps(key))
    assert c.post("/api/v1/admin/reveal").status_code == 403
    result = a.post("/api/v1/admin/reveal").json()
    bad = [v for v in result["variants"] if not v["ok"]]
    assert len(bad) == 1 and bad[0]["challenge"] == "tiny" and "commitment" in bad[0]["problems"][0]
    d = c.get("/api/v1/challenges/tiny").json()
    assert d["revealed"] is True and "interpctf verify" in d["verify_command"]
    key = c.get(d["key_url"]).json()
    assert "salt" in key and key["id"].startswith("tiny")
    assert c.get(f"/api/v1/challenges/tiny/key?variant={variant}").status_code == 403
    page = c.get("/challenges/tiny", headers={"accept": "text/html"}).text
    assert "interpctf verify" in page and "Download key.json" in page


def test_revealed_key_verifies_against_downloaded_bundle(server, tmp_path):
    from interpctf.bundle import unpack
    c = player(server, "eli")
    archive = tmp_path / "b.tar.gz"
    archive.write_bytes(c.get("/api/v1/challenges/capped/bundle").content)
    folder = unpack(archive, tmp_path / "out")
    set_window(server, -120, -1)
    admin(server).post("/api/v1/admin/reveal")
    (tmp_path / "key.json").write_text(json.dumps(c.get(c.get("/api/v1/challenges/capped").json()["key_url"]).json()))
    assert verify(folder, tmp_path / "key.json").ok


def test_final_standings_use_the_private_split(server):
    c = player(server, "fay")
    sid = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("r.py", SECRET_ANSWER)}).json()["id"]
    wait_graded(c, sid)
    assert c.get(f"/api/v1/submissions/{sid}").json()["score"] is None
    assert c.get("/api/v1/scoreboard").json()["split"] == "public"
    set_window(server, -120, -1)
    body = c.get(f"/api/v1/submissions/{sid}").json()
    assert body["score"] == 1.0 and body["solved"] is True
    board = c.get("/api/v1/scoreboard").json()
    assert board["split"] == "private" and board["phase"] == "ended" and board["standings"][0]["score"] == 510
