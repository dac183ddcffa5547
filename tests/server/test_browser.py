"""The web pages in Debian's Chromium (Playwright, no browser download): register, create and join a team,
download a bundle, submit the secret rule, see the team on the scoreboard."""

import io
import json
import socket
import tarfile
import threading
import time
from pathlib import Path

import pytest

from server_support import SECRET_ANSWER, event_spec

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.browser


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def site(tmp_path, tiny):
    import uvicorn

    from interpctf.server.app import create_app
    from interpctf.server.config import Settings
    from interpctf.server.event_spec import parse_event_spec
    from interpctf.server.setup import create_event

    url = f"sqlite:///{tmp_path / 'event.db'}"
    create_event(parse_event_spec(event_spec(tiny)), tmp_path, tmp_path / "data", url).dispose()
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=url, executor="inline"))
    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM),
                               args=["--headless", "--no-sandbox", "--disable-background-networking"])
        yield b
        b.close()


def _register(page, site, name):
    page.goto(f"{site}/register")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")


def test_register_team_download_submit_scoreboard(site, browser, tmp_path):
    from playwright.sync_api import expect  # (imported here: the browser fixture skips without playwright)

    ctx = browser.new_context(accept_downloads=True)
    page = ctx.new_page()
    _register(page, site, "webuser")
    page.wait_for_url(f"{site}/team")
    page.fill("form[action='/team/create'] input[name=name]", "Web Team")
    page.click("form[action='/team/create'] button")
    code = page.text_content("#invite-code").strip()
    assert code

    other = browser.new_context().new_page()  # a teammate joins by invite code
    _register(other, site, "mate")
    other.wait_for_url(f"{site}/team")
    other.fill("form[action='/team/join'] input[name=invite_code]", code)
    other.click("form[action='/team/join'] button")
    assert "Web Team" in other.text_content("h1")

    page.goto(f"{site}/challenges")
    page.click("text=Tiny pairs >> nth=0")
    page.wait_for_url(f"{site}/challenges/tiny")
    with page.expect_download() as info:
        page.click("text=Download the bundle")
    path = info.value.path()
    with tarfile.open(path, "r:gz") as tar:
        manifest = json.loads(tar.extractfile(next(m for m in tar.getmembers()
                                                   if m.name.endswith("challenge.json"))).read())
    assert manifest["challenge"] == "tiny"

    answer = tmp_path / "rule.py"
    answer.write_bytes(SECRET_ANSWER)
    page.set_input_files("input[type=file]", str(answer))
    page.click("text=Submit answer")
    page.wait_for_url(f"{site}/submissions*")
    # The page reloads itself while an answer is pending; a reload of our own would race with that one.
    expect(page.locator("table.list tbody tr").first).to_contain_text("graded", timeout=180_000)
    row = page.text_content("table.list tbody tr")
    assert "graded" in row and "100.0%" in row and "yes" in row

    page.goto(f"{site}/scoreboard")
    first = page.text_content("table.board tbody tr")
    assert "Web Team" in first and "510" in first
    assert page.locator("figure.chart img").evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=str(tmp_path / "scoreboard.png"), full_page=True)
    ctx.close()
