"""The audit pages in Debian's Chromium: the admin adds a hint on /admin/hints, sees its verdict (a flagged one
injected: the solvers' real verdicts are test_audit_digits.py's), publishes it anyway; audits a challenge on
/admin/challenges; a participant sees the marked hint and the challenge's audit line. Screenshots go to
/tmp/shots18a/ for a human to look at."""

from pathlib import Path

import pytest

from conftest import event_spec, tiny_challenge
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
