"""Every response carries the security headers; every page type still renders under its policy."""

import re

from server_support import admin, player

from interpctf.server.headers import PAGE_POLICY

FIXED = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin"}


def _check(r, policy: str | None = PAGE_POLICY) -> None:
    for name, value in FIXED.items():
        assert r.headers.get(name) == value, (r.url, name)
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
    if policy is not None:
        assert csp == policy


def test_pages_api_static_and_errors_carry_the_headers(server):
    c = player(server, "hana")
    boss = admin(server)
    pages = ["/", "/challenges", "/challenges/tiny", "/submissions", "/scoreboard", "/team", "/login",
             "/register", "/scoreboard/chart.svg"]
    for path in pages:
        r = c.get(path)
        assert r.status_code == 200, (path, r.status_code)
        _check(r)
    for path in ("/admin", "/admin/submissions"):
        r = boss.get(path)
        assert r.status_code == 200, (path, r.status_code)
        _check(r)
    for r in (c.get("/api/v1/challenges"), c.get("/static/style.css"), c.get("/no-such-page"),
              c.get("/api/v1/submissions/99999"), server.new_client().get("/openapi.json")):
        _check(r)
    too_big = c.post("/api/v1/challenges/tiny/submissions", content=b"x" * 64,
                     headers={"content-length": str(10 ** 9), "content-type": "application/octet-stream"})
    assert too_big.status_code == 413
    _check(too_big)


def test_pages_need_nothing_the_policy_refuses(server):
    """No inline scripts, inline styles, event handler attributes or other sites' resources in any page."""
    c = player(server, "ivan")
    boss = admin(server)
    bodies = [c.get(p).text for p in ("/", "/challenges", "/challenges/tiny", "/submissions", "/scoreboard",
                                      "/team", "/login", "/register")]
    bodies += [boss.get(p).text for p in ("/admin", "/admin/submissions")]
    for body in bodies:
        assert not re.search(r"<script(?![^>]*\bsrc=)", body), "inline script"
        assert "<style" not in body and not re.search(r"\sstyle=", body), "inline style"
        assert not re.search(r"\son[a-z]+=", body), "event handler attribute"
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", body), "a resource from another site"


def test_api_docs_allow_their_inline_script_by_hash_only(server):
    r = server.new_client().get("/docs")
    assert r.status_code == 200
    _check(r, policy=None)
    csp = r.headers["content-security-policy"]
    script_src = csp.split("script-src")[1].split(";")[0]
    assert "'sha256-" in script_src and "unsafe-inline" not in script_src
