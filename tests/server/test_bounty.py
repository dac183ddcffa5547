"""Bounty mode on the server: writeups against challenges, who may read them, the organizer's outcomes (an
asterisk needs a note), prizes and the ledger on the event page, clear 4xx on bad input, no key material."""

from server_support import BOTH_DBS, admin, event_spec, player
from helpers_time import set_window
from league_helpers import key_needles, walk_gets


def _bounty(server_factory, tiny):
    spec = event_spec(tiny, mode="bounty", bounty={"currency": "EUR"})
    spec["challenges"] = spec["challenges"][:1]
    return server_factory(spec)


def _writeup(client, title="Found the rule", body="The rule is **x + y < 20**.\n\n<img src=x onerror=alert(1)>"):
    r = client.post("/api/v1/bounty/writeups", json={"challenge": "tiny", "title": title, "body": body,
                                                     "links": ["https://example.org/notebook"]})
    assert r.status_code == 201, r.text
    return r.json()


@BOTH_DBS
def test_writeups_outcomes_prizes_and_ledger(server_factory, tiny):
    server = _bounty(server_factory, tiny)
    a, b = player(server, "alice"), player(server, "bob")
    w1 = _writeup(a)
    w2 = _writeup(b, "Partial", "Only half of it.")
    assert w1["outcome"] == "pending" and "body" in w1
    seen_by_b = b.get(f"/api/v1/bounty/writeups/{w1['id']}").json()
    assert "body" not in seen_by_b and seen_by_b["title"] == "Found the rule"  # the text stays private until the end
    assert "x + y &lt; 20" not in b.get(f"/bounty/writeups/{w1['id']}").text

    ad = admin(server)
    r = ad.post(f"/api/v1/admin/bounty/writeups/{w1['id']}/decision", json={"outcome": "asterisk"})
    assert r.status_code == 400 and "needs a note" in r.json()["detail"]
    r = ad.post(f"/api/v1/admin/bounty/writeups/{w1['id']}/decision",
                json={"outcome": "asterisk", "note": "found by brute force over all rules"})
    assert r.json()["outcome"] == "asterisk" and r.json()["outcome_label"] == "solved, with an asterisk"
    assert ad.post(f"/api/v1/admin/bounty/writeups/{w2['id']}/decision",
                   json={"outcome": "not_solved"}).json()["decided_at"]
    assert ad.post("/api/v1/admin/bounty/prizes", json={"recipient": "team-alice", "amount": "1,000.50",
                                                        "writeup_id": w1["id"]}).status_code == 201
    assert ad.post("/api/v1/admin/bounty/prizes", json={"recipient": "GiveWell (for team-bob)", "amount": "250",
                                                        "donation": True}).status_code == 201
    ledger = b.get("/api/v1/bounty/ledger").json()
    assert [p["amount"] for p in ledger["prizes"]] == ["1,000.50 EUR", "250.00 EUR"]
    assert ledger["totals"]["EUR"] == {"total": "1,250.50 EUR", "paid": "1,000.50 EUR", "donated": "250.00 EUR"}
    home = server.new_client().get("/").text
    assert "Prize ledger" in home and "1,000.50 EUR" in home and "GiveWell" in home
    listed = b.get("/api/v1/bounty/writeups").json()
    assert [(w["title"], w["outcome"], "body" in w) for w in listed] == [("Partial", "not_solved", True),
                                                                         ("Found the rule", "asterisk", False)]
    listing = b.get("/bounty").text
    assert "solved, with an asterisk" in listing and "found by brute force" in listing

    set_window(server, -120, -1)
    page = b.get(f"/bounty/writeups/{w1['id']}").text  # public after the end, rendered safely
    assert "<strong>x + y &lt; 20</strong>" in page and "<img" not in page
    late = a.post("/api/v1/bounty/writeups", json={"challenge": "tiny", "title": "t", "body": "b"})
    assert late.status_code == 403 and "while the bounty is open" in late.json()["detail"]


@BOTH_DBS
def test_bad_input_gives_one_line_4xx(server_factory, tiny):
    server = _bounty(server_factory, tiny)
    a = player(server, "alice")
    ad = admin(server)
    w = _writeup(a)
    cases = [
        (a.post("/api/v1/bounty/writeups", json={"challenge": "nope", "title": "t", "body": "b"}), 404, "no challenge"),
        (a.post("/api/v1/bounty/writeups", json={"challenge": "tiny", "title": "", "body": "b"}), 400, "title"),
        (a.post("/api/v1/bounty/writeups", json={"challenge": "tiny", "title": "t", "body": " "}), 400, "empty"),
        (a.post("/api/v1/bounty/writeups", json={"challenge": "tiny", "title": "t", "body": "b",
                                                 "links": ["javascript:x"]}), 400, "http(s) link"),
        (a.post("/api/v1/bounty/writeups", json={"title": "t"}), 422, "challenge"),
        (a.get("/api/v1/bounty/writeups/99"), 404, "no writeup 99"),
        (ad.post("/api/v1/admin/bounty/writeups/99/decision", json={"outcome": "solved"}), 404, "no writeup"),
        (ad.post(f"/api/v1/admin/bounty/writeups/{w['id']}/decision", json={"outcome": "great"}), 422, "outcome"),
        (ad.post("/api/v1/admin/bounty/prizes", json={"recipient": "x", "amount": "-5"}), 400, "not an amount"),
        (ad.post("/api/v1/admin/bounty/prizes", json={"recipient": "x", "amount": "0"}), 400, "more than zero"),
        (ad.post("/api/v1/admin/bounty/prizes", json={"recipient": "", "amount": "5"}), 400, "recipient"),
        (ad.post("/api/v1/admin/bounty/prizes", json={"recipient": "x", "amount": "5", "writeup_id": 42}), 404,
         "no writeup"),
        (a.post("/api/v1/admin/bounty/prizes", json={"recipient": "x", "amount": "5"}), 403, "admin"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, (response.status_code, response.text)
        detail = response.json()["detail"]
        assert words in detail and "\n" not in detail, detail
    form = ad.post("/admin/bounty/prizes", data={"recipient": "x", "amount": "abc",
                                                 "csrf_token": ad.headers["X-CSRF-Token"]})
    assert form.status_code == 400 and "not an amount" in form.text
    assert ad.post("/admin/bounty/prizes", data={"recipient": "x", "amount": "5", "csrf_token": "stale"}).status_code == 403


def test_bounty_pages_and_routes_show_no_key_material(server_factory, tiny):
    server = _bounty(server_factory, tiny)
    a, b = player(server, "alice"), player(server, "bob")
    w = _writeup(a)
    ids = {"writeup_id": w["id"], "slug": "tiny", "team_id": 1, "sub_id": 1, "hint_id": 1, "number": 1,
           "proposal_id": 1, "project_id": 1}
    assert walk_gets([a, b, server.new_client()], ids, key_needles(tiny)) > 100
