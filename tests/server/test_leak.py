"""A participant walks every page and JSON route and never sees key material: salt, secret source, private
probes (and, before the end, the private-split scores)."""

import io
import json
import tarfile

from server_support import WRONG_ANSWER, all_routes, player, wait_graded
from helpers_time import set_window


def _needles(server) -> list[str]:
    needles = []
    for key_file in (server.settings.data_dir / "challenges").rglob("key.json"):
        key = json.loads(key_file.read_text())
        secret = key["secret"]
        needles += [key["salt"], secret["rule_source"].strip(), "rule_source", "private_rows", "probe_truth",
                    json.dumps(secret["private_rows"])[:60].rstrip(",0123456789 ") + "",
                    key["reference_answer"]["data_b64"][:40]]
    return [n for n in needles if len(n) >= 8]


def _walk(server, client, ids) -> list[tuple[str, str]]:
    pages = []
    for methods, route_path in all_routes():
        if "GET" in methods and "/admin" not in route_path:
            path = route_path
            for name, value in ids.items():
                path = path.replace("{" + name + "}", str(value))
            for accept in ("text/html", "application/json"):
                r = client.get(path, headers={"accept": accept})
                if r.headers.get("content-type", "").startswith("application/gzip"):
                    with tarfile.open(fileobj=io.BytesIO(r.content), mode="r:gz") as tar:
                        text = "".join(tar.extractfile(m).read().decode("latin-1") for m in tar.getmembers()
                                       if m.isfile())
                else:
                    text = r.text
                pages.append((path, text))
    for extra in ("/openapi.json", "/static/style.css"):
        pages.append((extra, client.get(extra).text))
    return pages


def test_no_key_material_on_any_page_or_route(server):
    p = player(server, "snoop")
    for slug in ("tiny", "capped"):
        sid = p.post(f"/api/v1/challenges/{slug}/submissions", files={"file": ("w.py", WRONG_ANSWER)}).json()["id"]
        wait_graded(p, sid)
    ids = {"slug": "tiny", "team_id": p.get("/api/v1/me").json()["team_id"], "sub_id": sid,
           "hint_id": 1}
    needles = _needles(server)
    assert len(needles) >= 10
    for stage in ("running", "frozen"):
        if stage == "frozen":
            set_window(server, -60, 60, freeze_min=-1)
        for path, text in _walk(server, p, ids):
            for needle in needles:
                assert needle not in text, f"{stage}: {path} shows key material ({needle[:20]}...)"
        for sub in p.get("/api/v1/submissions").json():  # the private split stays hidden until the end
            assert sub["score"] is None and sub["solved"] is None
            assert set(sub["details"]) >= {"public_score"} and "score" not in sub["details"]
