"""A whole study in Debian's Chromium: two teams upload visualizations on the study page, the admin opens the
study, three raters answer every question (one of them only with the keys 1-8), the results page shows rates and
Wilson intervals. Screenshots go to /tmp/shots18/ for a human to look at."""

from pathlib import Path

import pytest

from server_support import admin
from study_helpers import RATERS, SETTINGS, png, study_spec
from test_browser import browser  # noqa: F401  (the Chromium fixture)
from test_browser_modes import _login, site_factory  # noqa: F401  (a real uvicorn server per spec)

from interpctf.server import study

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots18")


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _register_team(page, url, name):
    page.goto(f"{url}/register")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{url}/team")
    page.fill("form[action='/team/create'] input[name=name]", f"team-{name}")
    page.click("form[action='/team/create'] button[type=submit]")
    page.wait_for_load_state()


def _answer_all(page, url, answers: dict[str, int], right: bool, with_keys: bool) -> int:
    """Answer the whole queue: the right trigger (``answers``: question -> position, what a perfect rater would
    see in the images) or the next one; the attention check always right, read from the page."""
    page.goto(f"{url}/study/rate")
    answered = 0
    while page.locator("#choices").count():
        shown = page.locator("#shown-trigger")
        labels = [b.inner_text() for b in page.locator("#choices button").all()]
        qid = page.locator("#choices input[name=question]").get_attribute("value")
        pick = answers[qid] if right else (answers[qid] + 1) % 8
        if shown.count():  # the attention check: its trigger is shown outright
            pick = next(i for i, text in enumerate(labels) if text.endswith(shown.inner_text()))
        if with_keys:
            with page.expect_navigation():
                page.keyboard.press(str(pick + 1))
        else:
            with page.expect_navigation():
                page.locator("#choices button").nth(pick).click()
        answered += 1
    assert page.locator("#done").count() == 1
    return answered


def test_a_whole_study_in_the_browser(site_factory, browser, tmp_path):
    site = site_factory(study_spec())
    url, server = site.url, site.server
    assert admin(server).put("/api/v1/admin/study/settings", json=SETTINGS).status_code == 200
    ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    for name, trojans in [("alice", ["m00", "m01"]), ("bob", ["m00", "m02"])]:
        page = ctx.new_page()
        _register_team(page, url, name)
        page.goto(f"{url}/study")
        for t in trojans:
            path = tmp_path / f"{name}-{t}.png"
            path.write_bytes(png(32, 32, 60 * len(name) + ord(t[-1])))
            page.set_input_files(f"input[name=images_{t}]", str(path))
        page.fill("textarea[name=code]", f"# {name}'s visualization code\nprint('saliency')")
        page.click("#upload button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#sent").count() == 1, page.content()
        page.close()
        ctx.clear_cookies()
    opened = admin(server).post("/api/v1/admin/study/open")
    assert opened.status_code == 200, opened.text
    answers = {q["id"]: q["answer"] for q in study.load(server.state).questions}
    totals = []
    for i, rater in enumerate(RATERS):
        page = ctx.new_page()
        _login(page, site, rater, "rater-password")
        page.goto(f"{url}/study/rate")
        assert "0</strong> of 5 answered" in page.content()
        if i == 0:
            page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth)")
            _shot(page, "rater")
        totals.append(_answer_all(page, url, answers, right=i < 2, with_keys=i == 0))
        assert "5</strong> of 5 answered" in page.content()
        page.close()
        ctx.clear_cookies()
    assert totals == [5, 5, 5]
    assert admin(server).post("/api/v1/admin/study/close").status_code == 200
    page = ctx.new_page()
    _login(page, site, "admin", "admin-password")
    page.goto(f"{url}/study/results")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 2 + 4  # an "all" row per submission, then one per trojan
    text = page.locator("#results").inner_text()
    assert text.count("4 / 6") == 2 and "0.67" in text and " – " in text and page.locator("#reveal tr").count() == 1 + 5
    _shot(page, "results")
    page.click("#results a[href='/admin/study/submissions/1']")
    page.wait_for_load_state()
    assert "visualization code" in page.locator("#code").inner_text()
    ctx.close()
