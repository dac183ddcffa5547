"""The league, jam and bounty pages in Debian's Chromium: a judge's whole flow, a league round from proposal to
standings, the bounty pages. Screenshots go to /tmp/shots7/ for a human to look at."""

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from server_support import SECRET_ANSWER, admin, event_spec, player
from league_helpers import league_spec, set_round
from test_browser import browser, _port  # noqa: F401  (the Chromium fixture)
from test_jam import _project, jam_spec

from interpctf.server.models import Submission

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots7")


class Site:
    def __init__(self, url, server):
        self.url, self.server = url, server


@pytest.fixture
def site_factory(tmp_path, db_url):
    """A real uvicorn server for a spec; ``server`` also gives TestClient access (same database)."""
    import uvicorn

    from server_support import make_server
    from interpctf.server.app import create_app
    running = []

    def factory(spec: dict) -> Site:
        server = make_server(tmp_path, db_url, spec, executor="inline")
        app = create_app(server.settings, migrate_db=False)
        port = _port()
        web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=web.run, daemon=True)
        thread.start()
        while not web.started:
            time.sleep(0.05)
        running.append((web, thread, server))
        return Site(f"http://127.0.0.1:{port}", server)

    yield factory
    for web, thread, server in running:
        web.should_exit = True
        thread.join(10)
        server.client.__exit__(None, None, None)


def _login(page, site, name, password):
    page.goto(f"{site.url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_judges_whole_flow(site_factory, browser):
    site = site_factory({**event_spec(Path("/nonexistent")), **jam_spec()})
    server = site.server
    players = [player(server, f"p{i}") for i in range(4)]
    md = ("w.md", b"# What we found\n\nA **sparse** circuit:\n\n| head | role |\n|---|---|\n| 0.3 | copy |\n", "text/markdown")
    for i, p in enumerate(players):
        _project(p, f"Project {i}: " + ["Sparse circuits", "Probing for sums", "Trojan hunting", "Edit forensics"][i],
                 md if i == 0 else None)
    admin(server).post("/api/v1/admin/jam/assign")

    page = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
    _login(page, site, "judge1", "judge-password")
    page.goto(f"{site.url}/jam/judge")
    assert "Locked" in page.text_content("#free-locked")
    _shot(page, "jam-judge-queue-locked")
    rows = page.locator("#assigned tbody tr")
    assert rows.count() == 2
    for i in range(2):
        page.goto(f"{site.url}/jam/judge")
        page.locator("#assigned tbody tr", has_text="to do").first.locator("a.button").click()
        page.wait_for_url("**/review")
        for j, field in enumerate(page.locator("#review-form input[type=number]").all()):
            field.fill(str(5 + i + j % 3))
        page.fill("textarea[name=comment]", "Clear writeup; the ablation is convincing.")
        if i == 0:
            _shot(page, "jam-review-form")
        page.click("#review-form button[type=submit]")
        page.wait_for_url(f"{site.url}/jam/judge")
    assert page.locator("#free tbody tr").count() >= 1  # unlocked now
    assert "All assigned reviews are in" in page.text_content("main")
    _shot(page, "jam-judge-queue-done")
    page.locator("#free tbody tr a.button").first.click()
    page.wait_for_url("**/review")
    for field in page.locator("#review-form input[type=number]").all():
        field.fill("7")
    page.click("#review-form button[type=submit]")
    page.wait_for_url(f"{site.url}/jam/judge")

    page.goto(f"{site.url}/jam/projects/1")
    assert page.locator("article.writeup table").count() == 1
    _shot(page, "jam-project")
    adm = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
    _login(adm, site, "admin", "admin-password")
    adm.goto(f"{site.url}/jam/results")
    assert adm.locator("#results tbody tr").count() == 4
    _shot(adm, "jam-results")
    adm.goto(f"{site.url}/admin/jam")
    _shot(adm, "jam-admin")
    adm.goto(f"{site.url}/jam")
    _shot(adm, "jam-home")


def test_a_league_round_from_proposal_to_standings(site_factory, browser, tiny, tmp_path):
    from playwright.sync_api import expect  # (imported here: the browser fixture skips without playwright)

    from interpctf.bundle import pack
    site = site_factory({**event_spec(tiny), **league_spec(), "challenges": []})
    server = site.server
    for name in ("bob", "carol"):
        player(server, name)
    archive = pack(tiny / "variants" / "000" / "bundle", tmp_path / "tiny.tar.gz")

    ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    page = ctx.new_page()
    page.goto(f"{site.url}/register")
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/team")
    page.fill("form[action='/team/create'] input[name=name]", "Alice Lab")
    page.click("form[action='/team/create'] button")
    page.goto(f"{site.url}/league/rounds/1")
    _shot(page, "league-round-propose")
    page.set_input_files("#propose-bundle input[name=bundle]", str(archive))
    page.set_input_files("#propose-bundle input[name=key]", str(tiny / "variants" / "000" / "key.json"))
    page.click("#propose-bundle button[type=submit]")
    page.wait_for_url("**/league/proposals/*")
    assert page.locator("#forge-progress").count() == 1  # the checking view, refreshing itself
    _shot(page, "league-proposal-checking")
    # The checking view reloads itself every two seconds; a reload of our own would race with it (the
    # navigation it interrupts is aborted), so wait for the page's own refresh to show the result. The bound is
    # generous: on a loaded two-core machine the check (the reference answer and the baselines) takes minutes.
    expect(page.locator("main")).to_contain_text("Publish this challenge", timeout=300_000)
    assert "The plant is real" in page.text_content("main")
    assert "baseline: blackbox" in page.text_content("table.check")
    _shot(page, "league-proposal-checked")
    page.click("text=Publish this challenge")
    page.wait_for_load_state()
    assert "Published" in page.text_content("main")

    set_round(server, 1, "solving")
    bob = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
    _login(bob, site, "bob", "password123")
    bob.goto(f"{site.url}/league/rounds/1")
    bob.click("text=Tiny pairs")
    bob.wait_for_url("**/league/challenges/*")
    _shot(bob, "league-challenge")
    bob.fill("textarea[name=text]", SECRET_ANSWER.decode())
    bob.click("text=Submit answer")
    bob.wait_for_url("**/submissions*")
    site.server.drain(timeout=180)
    with server.state.db.read() as s:
        graded = [(sub.status, sub.solved, sub.details) for sub in s.scalars(select(Submission))]
    assert [g[:2] for g in graded] == [("graded", True)], graded  # the details say why, should it ever fail
    set_round(server, 1, "closed")
    bob.goto(f"{site.url}/league/rounds/1")
    assert "matches commitment" in bob.text_content("main")
    assert "bob" in bob.text_content("table.list tbody")
    _shot(bob, "league-round-closed")
    bob.goto(f"{site.url}/league")
    first = bob.text_content("table.board tbody tr")
    assert "Alice Lab" in first and "3.00" in first
    _shot(bob, "league-standings")
    adm = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
    _login(adm, site, "admin", "admin-password")
    adm.goto(f"{site.url}/admin/league")
    _shot(adm, "league-admin")


def test_bounty_pages(site_factory, browser, tiny):
    spec = event_spec(tiny, mode="bounty")
    spec["challenges"] = spec["challenges"][:1]
    site = site_factory(spec)
    server = site.server
    other = player(server, "bob")
    other.post("/api/v1/bounty/writeups", json={"challenge": "tiny", "title": "Half the rule", "body": "x < 20?"})
    page = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
    page.goto(f"{site.url}/register")
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/team")
    page.fill("form[action='/team/create'] input[name=name]", "Alice Lab")
    page.click("form[action='/team/create'] button")
    page.goto(f"{site.url}/bounty")
    page.fill("#writeup-form input[name=title]", "The secret rule")
    page.fill("#writeup-form textarea[name=body]", "The model labels **x + y < 20**.\n\n- found by probing\n- verified")
    page.click("#writeup-form button[type=submit]")
    page.wait_for_url("**/bounty/writeups/*")
    _shot(page, "bounty-writeup")
    adm = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
    _login(adm, site, "admin", "admin-password")
    adm.goto(f"{site.url}/admin/bounty")
    form = adm.locator("form.decision").nth(0)  # newest first: alice's writeup
    form.locator("select").select_option("asterisk")
    form.locator("input[name=note]").fill("the rule was found by enumeration, not by interpretation")
    form.locator("button").click()
    adm.wait_for_url(f"{site.url}/admin/bounty")
    adm.fill("#prize-form input[name=recipient]", "Alice Lab")
    adm.fill("#prize-form input[name=amount]", "500")
    adm.click("#prize-form button[type=submit]")
    adm.wait_for_url(f"{site.url}/admin/bounty")
    _shot(adm, "bounty-admin")
    page.goto(f"{site.url}/bounty")
    assert "solved, with an asterisk" in page.text_content("#writeups")
    _shot(page, "bounty-home")
    page.goto(f"{site.url}/")
    assert "500.00 USD" in page.text_content("#ledger")
    _shot(page, "bounty-event-page")
