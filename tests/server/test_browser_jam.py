"""The 2022-shaped jam (recipes/events/jam-2022.yaml) in Debian's Chromium: a participant registers at a site,
cancels, rejoins before the start, submits a project while it runs, adds and upvotes an idea, judges their
assigned projects inside the judging window and sees the results with the sites; and the /problems page.
Screenshots go to /tmp/shots19/ for a human to look at."""

from pathlib import Path

import pytest

from server_support import admin, player
from jam_helpers import jam_2022_spec, phase_minutes, set_jam_clock
from test_browser import browser, _port  # noqa: F401  (the Chromium fixture)
from test_browser_modes import site_factory  # noqa: F401  (a real uvicorn server)

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots19")


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_participants_whole_jam(site_factory, browser):  # noqa: F811
    spec = jam_2022_spec()
    spec["accounts"] = [{"name": "admin", "password": "admin-password", "role": "admin"}]
    site = site_factory(spec)
    server = site.server
    set_jam_clock(server, -60)
    others = [player(server, f"p{i}") for i in range(3)]
    for i, c in enumerate(others):
        assert c.post("/api/v1/jam/participation", json={"site": ["London", "", "Toronto"][i]}).status_code == 201

    page = browser.new_context(viewport={"width": 1100, "height": 800}, timezone_id="Europe/Copenhagen").new_page()
    page.goto(f"{site.url}/register")
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/team")
    page.fill("form[action='/team/create'] input[name=name]", "Alice Lab")
    page.click("form[action='/team/create'] button")
    page.goto(f"{site.url}/jam")
    assert "Europe/Copenhagen" in page.text_content("#schedule")  # times shown in the visitor's zone
    assert "GMT+1" in page.text_content("#schedule time.local") or "CET" in page.text_content("#schedule")
    page.select_option("#participate select[name=site]", "London")
    page.click("#participate button[type=submit]")
    page.wait_for_url(f"{site.url}/jam")
    assert "registered at London" in page.text_content("#participation")
    page.click("#cancel")
    page.wait_for_url(f"{site.url}/jam")
    assert page.locator("#participate").count() == 1
    page.select_option("#participate select[name=site]", "Aarhus")
    page.click("#participate button[type=submit]")
    page.wait_for_url(f"{site.url}/jam")
    assert "registered at Aarhus" in page.text_content("#participation")
    _shot(page, "jam-2022-home")

    set_jam_clock(server, 60)
    for i, c in enumerate(others):
        assert c.post("/api/v1/jam/projects", data={"title": f"Project {i}"}).status_code == 201
    page.goto(f"{site.url}/jam")
    assert page.locator("#cancel").count() == 0  # the jam has started
    page.fill("#project-form input[name=title]", "Absorption in the toy task")
    page.fill("#project-form textarea[name=abstract]", "Where the general latent stops firing.")
    page.click("#project-form button[type=submit]")
    page.wait_for_url("**/jam/projects/*")
    page.goto(f"{site.url}/jam/ideas")
    page.fill("#idea-form input[name=title]", "Transcoders on the digits")
    page.fill("#idea-form textarea[name=body]", "Compare with an **SAE** at equal L0.")
    page.click("#idea-form button[type=submit]")
    page.wait_for_url(f"{site.url}/jam/ideas")
    page.click("#ideas button")
    page.wait_for_url(f"{site.url}/jam/ideas")
    assert "1 vote" in page.text_content("#ideas") and "You upvoted this." in page.text_content("#ideas")

    set_jam_clock(server, phase_minutes(spec, "judging") + 1)
    admin(server).post("/api/v1/admin/jam/assign")
    page.goto(f"{site.url}/jam/judge")
    rows = page.locator("#assigned tbody tr")
    assert rows.count() == 3  # 5 asked, but only the 3 other teams' projects are eligible
    for k in range(3):
        page.goto(f"{site.url}/jam/judge")
        page.locator("#assigned tbody tr", has_text="to do").first.locator("a.button").click()
        page.wait_for_url("**/review")
        for field in page.locator("#review-form input[type=number]").all():
            field.fill(str(5 + 2 * k))
        page.click("#review-form button[type=submit]")
        page.wait_for_url(f"{site.url}/jam/judge")
    assert "All assigned reviews are in" in page.text_content("main")

    set_jam_clock(server, 100_000)
    page.goto(f"{site.url}/jam/results")
    assert page.locator("#results tbody tr").count() == 4
    table = page.text_content("#results")
    assert "Aarhus" in table and "London" in table and "Toronto" in table
    _shot(page, "jam-2022-results")
    page.goto(f"{site.url}/problems")
    assert page.locator("#problems tbody tr").count() >= 30
    _shot(page, "problems")
    page.goto(f"{site.url}/problems?category=sparse-autoencoders")
    assert page.locator("#problems tbody tr").count() == 5
