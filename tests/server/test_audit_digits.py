"""The 2023 case, end to end through the server: the digits L1-band challenge, whose secret image is none of the
data set's (tests/fixtures/digits-blend.yaml: the mean of two digits, so no search over the data set finds it).
The admin adds a hint that shows the secret image: the audit flags it (labelfn/rulesearch, given the image as a
prototype candidate, recovers the band: public score 1.0); a hint showing an ordinary digit passes (0.84 with it,
below the bar). The admin's page shows both verdicts, the flagged hint is published only "anyway", and the
participants then see it, marked.

Slow (a digits forge and two solver runs, about 4 minutes on a loaded 2-core machine). The verdicts are the
solver's, not a seed's luck: with the exact secret among its candidates the band explains every label
(tests/test_audit.py shows why), and the ordinary digit stays far below the fit the solver needs."""

import json
import re
from pathlib import Path

import pytest

from server_support import admin, player
from interpctf.bundle import read_key
from test_audit_publish import _wait

pytestmark = pytest.mark.slow
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "digits-blend.yaml"


@pytest.fixture(scope="module")
def blend(tmp_path_factory) -> Path:
    from interpctf.forge import forge
    from interpctf.recipe import load_recipe

    out = tmp_path_factory.mktemp("digits-blend") / "out"
    forge(load_recipe(FIXTURE), out, "digits-blend")
    return out


def _secret_image(forged: Path) -> list:
    """The organizer's view: the secret image, as the key's rule source holds it."""
    source = read_key(forged / "key.json").secret["rule_source"]
    return json.loads(re.search(r"^SECRET = (\[.*\])$", source, re.M).group(1))


def test_a_hint_showing_the_secret_image_is_flagged_and_an_ordinary_one_passes(server_factory, blend):
    from interpctf.data.digits import digit_images

    server = server_factory({"challenges": [{"slug": "digits", "forged": str(blend)}]})
    boss, alice = admin(server), player(server, "alice")
    secret = _secret_image(blend)
    revealing = f"The rule measures how far an image is from this one: {json.dumps(secret)}"
    ordinary = f"Here is a typical input, for scale: {json.dumps(digit_images()[5].tolist())}"

    r = boss.post("/admin/hints", data={"challenge": "digits", "content": revealing, "cost": "50",
                                        "csrf_token": boss.headers["X-CSRF-Token"]}, follow_redirects=False)
    assert r.status_code == 303, r.text
    flagged_id = max(h["id"] for h in boss.get("/api/v1/admin/hints").json())
    passing_id = boss.post("/api/v1/admin/hints", json={"challenge": "digits", "content": ordinary}).json()["id"]

    flagged, passing = _wait(boss, flagged_id, 600), _wait(boss, passing_id, 600)
    assert flagged["audit"]["flagged"] and flagged["audit"]["solved_by"] == ["labelfn/rulesearch"], flagged
    assert not passing["audit"]["flagged"] and passing["audit"]["status"] == "done", passing
    page = boss.get("/admin/hints").text
    assert "FLAGGED: with this hint, labelfn/rulesearch solves it from the outside" in page
    assert "passes: no black-box solver solves with it (tried labelfn/rulesearch)" in page

    assert boss.post(f"/api/v1/admin/hints/{flagged_id}/publish").status_code == 409
    assert flagged_id not in [h["id"] for h in alice.get("/api/v1/challenges/digits").json()["hints"]]
    r = boss.post(f"/admin/hints/{flagged_id}/publish", follow_redirects=False,
                  data={"anyway": "true", "csrf_token": boss.headers["X-CSRF-Token"]})
    assert r.status_code == 303
    assert boss.post(f"/api/v1/admin/hints/{passing_id}/publish").status_code == 200  # a clear one needs no "anyway"
    shown = {h["id"]: h for h in alice.get("/api/v1/challenges/digits").json()["hints"]}
    assert set(shown) >= {flagged_id, passing_id}
    assert shown[flagged_id]["audit"]["published_anyway"] and "audit" not in shown[passing_id]
