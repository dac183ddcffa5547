"""Re-running a study submission's code in the sandbox: the script writes PNGs, the images are compared with the
submitted ones by name (byte-equal, within a pixel tolerance, different, missing), and the admin's page shows it."""

import inspect
import time

import pytest

from server_support import admin, player
from study_helpers import SETTINGS, png, study_spec, upload

from interpctf.server.study_rerun import compare

# The team's code: it rebuilds the first image byte for byte (the same writer the upload used) and a second one
# with another shade; it checks it was given the public bundle and not the key.
CODE = "import struct\nimport zlib\n" + inspect.getsource(png) + '''
import os
bundle = os.environ["BUNDLE_DIR"]
assert os.path.exists(os.path.join(bundle, "challenge.json")), os.listdir(bundle)
assert not any(name.startswith("key") for name in os.listdir(os.path.dirname(bundle)))
open(os.path.join(os.environ["OUT_DIR"], "m00-0.png"), "wb").write(png(16, 16, 0))
open(os.path.join(os.environ["OUT_DIR"], "m01-0.png"), "wb").write(png(16, 16, 90))
'''


def test_compare_tells_identical_close_different_and_missing():
    assert compare(png(4, 4, 10), png(4, 4, 10))["verdict"] == "identical"
    assert compare(png(4, 4, 10), png(4, 4, 11)) == {"verdict": "within tolerance", "why": "pixels differ by at most 1"}
    assert compare(png(4, 4, 10), png(4, 4, 40))["verdict"] == "different"
    assert compare(png(4, 4, 10), png(5, 4, 10))["why"].startswith("size 5x4")
    assert compare(png(4, 4, 10), b"not a png")["verdict"] == "different"
    assert compare(png(4, 4, 10), None)["verdict"] == "missing"


def test_the_admin_reruns_a_submission_and_sees_which_images_it_reproduces(server_factory):
    server = server_factory(study_spec())
    boss = admin(server)
    assert boss.put("/api/v1/admin/study/settings", json=SETTINGS).status_code == 200
    alice = player(server, "alice")
    sid = upload(alice, {"m00": 1, "m01": 1, "m02": 1}, code=CODE).json()["id"]
    assert alice.post(f"/api/v1/admin/study/submissions/{sid}/rerun").status_code == 403
    assert boss.post("/api/v1/admin/study/submissions/999/rerun").status_code == 404
    r = boss.post(f"/admin/study/submissions/{sid}/rerun", data={"csrf_token": boss.headers["X-CSRF-Token"]},
                  follow_redirects=False)
    assert r.status_code == 303
    deadline = time.time() + 300
    while (body := boss.get(f"/api/v1/admin/study/submissions/{sid}/rerun").json())["status"] == "running":
        assert time.time() < deadline, "the re-run did not finish"
        time.sleep(0.2)
    if body["status"] == "failed" and "bubblewrap" in body["error"]:
        pytest.skip(f"no sandbox here: {body['error']}")
    assert body["status"] == "done" and body["error"] == "", body
    verdicts = {i["name"]: i["verdict"] for i in body["images"]}
    assert verdicts == {"m00-0.png": "identical", "m01-0.png": "different", "m02-0.png": "missing"}
    assert body["reproduced"] is False
    page = boss.get(f"/admin/study/submissions/{sid}").text
    assert "Not reproduced" in page and "identical" in page and "missing" in page
