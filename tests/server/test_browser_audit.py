"""The audit and study-admin pages in Debian's Chromium: the admin adds a hint on /admin/hints, sees its verdict (a flagged one
injected: the solvers' real verdicts are test_audit_digits.py's), publishes it anyway; audits a challenge on
/admin/challenges; a participant sees the marked hint and the challenge's audit line. Screenshots go to
/tmp/shots18a/ for a human to look at."""

from pathlib import Path

import pytest

from server_support import event_spec, tiny_challenge
from interpctf.audit import HintAudit
from interpctf.schema import CalibrationRun
from interpctf.server import audit_jobs
from test_browser import browser  # noqa: F401  (the Chromium fixture)
from test_browser_modes import _login, site_factory  # noqa: F401  (a real uvicorn server per spec)

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots18a")


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _flagged(challenge, text, seconds=120.0, bare=False):
    return HintAudit(arrays=[[8, 8]], solved_by=["labelfn/rulesearch"],
                     runs={"labelfn/rulesearch": CalibrationRun(access="black-box", score=1.0, solved=True)})


def _until(page, url, text, tries=100):
    for _ in range(tries):
        page.goto(url)
        if text not in page.content():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{url} still shows {text!r}")


def test_the_admin_audits_a_hint_and_a_challenge_and_publishes_anyway(site_factory, browser, monkeypatch):
    monkeypatch.setattr(audit_jobs, "audit_hint", _flagged)
    site = site_factory(event_spec(tiny_challenge()))
    page = browser.new_page()
    _login(page, site, "admin", "admin-password")
    page.goto(f"{site.url}/admin/hints")
    page.fill("#add-hint textarea[name=content]", "The secret image: [[0, 3], [5, 1]]")
    page.fill("#add-hint input[name=cost]", "40")
    page.click("#add-hint button")
    page.wait_for_load_state()
    _until(page, f"{site.url}/admin/hints", "auditing")
    row = page.locator("#hints tr", has_text="The secret image")
    assert "FLAGGED" in row.inner_text() and row.locator("button", has_text="Publish anyway").count() == 1
    _shot(page, "admin-hints-flagged")
    row.locator("button", has_text="Publish anyway").click()
    page.wait_for_load_state()
    assert "anyway" in page.locator("#hints tr", has_text="The secret image").inner_text()
    _shot(page, "admin-hints-published")

    page.goto(f"{site.url}/admin/challenges")
    page.locator("tr", has_text="tiny").first.locator("button", has_text="Audit").click()
    page.wait_for_load_state()
    _until(page, f"{site.url}/admin/challenges", "auditing")
    assert "Audit again" in page.content()
    _shot(page, "admin-challenges-audited")

    page.goto(f"{site.url}/challenges/tiny")
    assert page.locator("#audit").count() == 1 and "published anyway" in page.content()
    _shot(page, "challenge-audit-line")


def _trigger_pictures(self, challenge, trojans, pool, seed):
    """Pictures like the trojan kind's (trigger_picture on a digit-sized input), drawn here without a forge."""
    import numpy as np

    from interpctf.kinds.trojan.common import trigger_picture
    from interpctf.kinds.trojan.png import png_bytes
    from interpctf.kinds.trojan.triggers import draw_trigger

    rng = np.random.default_rng(seed)
    out = {}
    for i, name in enumerate(sorted(trojans) + sorted(pool)):
        example = (rng.random((1, 28, 28)) < 0.15).astype(np.float32)
        out[name] = png_bytes(trigger_picture(draw_trigger(("patch", "blended", "faint")[i % 3], (1, 28, 28), rng),
                                              example))
    return out


def test_the_rater_picks_among_trigger_pictures(site_factory, browser, monkeypatch):
    from server_support import admin, player
    from study_helpers import SETTINGS, study_spec, upload
    from interpctf.kinds.labelfn.kind import LabelFnKind

    monkeypatch.setattr(LabelFnKind, "study_pictures", _trigger_pictures, raising=False)
    site = site_factory(study_spec())
    boss = admin(site.server)
    assert boss.put("/api/v1/admin/study/settings", json=SETTINGS).status_code == 200
    assert upload(player(site.server, "alice"), {"m00": 1, "m01": 1}).status_code == 201
    assert boss.post("/api/v1/admin/study/open").status_code == 200
    page = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
    _login(page, site, "rater1", "rater-password")
    page.goto(f"{site.url}/study/rate")
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth)")
    assert page.locator("#choices img.candidate").count() == 8
    _shot(page, "rater-pictures")
    with page.expect_navigation():
        page.keyboard.press("1")
    assert "1</strong> of" in page.content()
    _login(page, site, "admin", "admin-password")
    page.goto(f"{site.url}/admin/study")
    assert page.locator("#raters tr").count() == 1 + 3 and page.locator("#close").count() == 1
    _shot(page, "admin-study")
    page.goto(f"{site.url}/admin/study/submissions/1")
    page.click("#rerun button")
    page.wait_for_load_state()
    _until(page, f"{site.url}/admin/study/submissions/1", "Running")
    assert page.locator("#rerun-verdict").count() == 1
    _shot(page, "admin-study-rerun")
    from interpctf.server import study
    asked = [q for q in study.load(site.server.state).questions if not q["attention"]]
    answers = {q["id"]: q["answer"] for q in asked}
    assert boss.post("/api/v1/admin/study/agent-answers", json={"model": "mockllm/model", "answers": answers}
                     ).status_code == 201
    assert boss.post("/api/v1/admin/study/close").status_code == 200
    page.goto(f"{site.url}/study/results")
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth)")
    assert page.locator("#agents").count() == 1 and page.locator("#reveal img.candidate").count() >= 1
    _shot(page, "results-agents-reveal")
