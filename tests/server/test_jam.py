"""Jam mode on the server: projects with durable, safely rendered writeups; assignment; free judging locked
until the assigned reviews are in; score validation; results (JSON, CSV, page) and who may see them; admin
criteria; clear 4xx on bad input."""

import csv
import io

from server_support import BOTH_DBS, admin, login, player
from helpers_time import set_window
from league_helpers import walk_gets

JUDGES = ["judge1", "judge2", "judge3"]
RATINGS = {"ML safety": 8, "Interpretability": 6, "Novelty": 7, "Generality": 5, "Reproducibility": 9}


def jam_spec(**jam) -> dict:
    return {"mode": "jam", "title": "Test jam", "challenges": [],
            "jam": {"reviews_per_judge": 2, "seed": 7, **jam},
            "accounts": [{"name": "admin", "password": "admin-password", "role": "admin"}] +
                        [{"name": j, "password": "judge-password", "role": "judge"} for j in JUDGES]}


def _judge(server, name):
    client = server.new_client()
    login(client, name, "judge-password")
    return client


def _project(client, title, writeup=None):
    files = {"writeup": writeup} if writeup else None
    r = client.post("/api/v1/jam/projects", data={"title": title, "abstract": f"About {title}",
                                                  "links": "https://example.org/code"}, files=files)
    assert r.status_code == 201, r.text
    return r.json()


def _setup(server_factory, **jam):
    server = server_factory(jam_spec(**jam))
    players = [player(server, f"p{i}") for i in range(4)]
    md = ("w.md", b"# Findings\n\n<script>alert('x')</script> **bold** [link](javascript:alert(1))\n", "text/markdown")
    pdf = ("w.pdf", b"%PDF-1.4\n% tiny\n", "application/pdf")
    projects = [_project(p, f"Project {i}", md if i == 0 else pdf if i == 1 else None) for i, p in enumerate(players)]
    judge1 = _judge(server, "judge1")  # judge1 also plays in p0's team
    invite = players[0].get("/api/v1/teams/me").json()["invite_code"]
    assert judge1.post("/api/v1/teams/join", json={"invite_code": invite}).status_code == 200
    return server, players, projects, judge1


@BOTH_DBS
def test_judge_flow_and_free_judging_lock(server_factory):
    server, players, projects, judge1 = _setup(server_factory)
    early = judge1.post(f"/api/v1/jam/projects/{projects[1]['id']}/reviews", json={"scores": RATINGS})
    assert early.status_code == 403 and "no projects are assigned to you yet" in early.json()["detail"]
    assert judge1.get("/api/v1/jam/queue").json()["free_unlocked"] is False
    ad = admin(server)
    listed = players[2].get("/api/v1/jam/projects").json()
    assert [p["title"] for p in listed] == [f"Project {i}" for i in range(4)] and listed[0]["writeup"] == "md"
    page = ad.post("/admin/jam/assign", data={"csrf_token": ad.headers["X-CSRF-Token"]})
    assert page.status_code == 200 and "judge1" in page.text  # redirected back to the admin page
    out = ad.post("/api/v1/admin/jam/assign").json()
    assert all(len(v) == 2 for v in out.values()) and len(out) == 3
    own = projects[0]["id"]
    me = judge1.get("/api/v1/me").json()["id"]
    assert own not in out[str(me)]
    counts = {}
    for items in out.values():
        for pid in items:
            counts[pid] = counts.get(pid, 0) + 1
    assert all(1 <= c <= 2 for c in counts.values())  # 6 reviews over 4 projects: floor 1, ceil 2
    assert len(counts) == 4  # 3 judges x 2 = 6 reviews over 4 projects: every project is covered

    queue = judge1.get("/api/v1/jam/queue").json()
    assigned = [p["id"] for p in queue["assigned"]]
    assert queue["left"] == 2 and not queue["free_unlocked"] and queue["free"] == []
    free = next(p["id"] for p in projects if p["id"] not in assigned and p["id"] != own)
    early = judge1.post(f"/api/v1/jam/projects/{free}/reviews", json={"scores": RATINGS})
    assert early.status_code == 403 and "assigned reviews first (2 left)" in early.json()["detail"]
    assert judge1.get(f"/jam/projects/{free}/review").status_code == 403
    assert judge1.post(f"/api/v1/jam/projects/{own}/reviews", json={"scores": RATINGS}).status_code == 403

    bad = [({"scores": {**RATINGS, "Novelty": 11}}, "between 1 and 10"),
           ({"scores": {k: v for k, v in RATINGS.items() if k != "Novelty"}}, "rate 'Novelty'"),
           ({"scores": {**RATINGS, "Vibes": 3}}, "unknown criterion 'Vibes'")]
    for body, words in bad:
        r = judge1.post(f"/api/v1/jam/projects/{assigned[0]}/reviews", json=body)
        assert r.status_code == 400 and words in r.json()["detail"], r.text
    assert judge1.post(f"/api/v1/jam/projects/{assigned[0]}/reviews", json={"scores": "x"}).status_code == 422

    for pid in assigned:
        r = judge1.post(f"/api/v1/jam/projects/{pid}/reviews", json={"scores": RATINGS, "comment": "nice"})
        assert r.status_code == 201, r.text
    queue = judge1.get("/api/v1/jam/queue").json()
    assert queue["free_unlocked"] and {p["id"] for p in queue["free"]} == {free}
    assert judge1.post(f"/api/v1/jam/projects/{free}/reviews", json={"scores": RATINGS}).status_code == 201
    assert judge1.post(f"/api/v1/jam/projects/{own}/reviews", json={"scores": RATINGS}).status_code == 403
    assert ad.post("/api/v1/admin/jam/assign").status_code == 409  # the assignment is fixed once reviews start
    assert players[1].post(f"/api/v1/jam/projects/{free}/reviews", json={"scores": RATINGS}).status_code == 403


@BOTH_DBS
def test_results_ranking_csv_and_visibility(server_factory):
    server, players, projects, judge1 = _setup(server_factory, reviews_per_judge=3)
    ad = admin(server)
    assignment = ad.post("/api/v1/admin/jam/assign").json()
    judges = {name: _judge(server, name) for name in JUDGES[1:]}
    judges["judge1"] = judge1
    quality = {p["id"]: 3 + 2 * i for i, p in enumerate(projects)}  # project i is rated 3, 5, 7, 9
    ids = {c.get("/api/v1/me").json()["id"]: c for c in judges.values()}
    for judge_id, items in assignment.items():
        for pid in items:
            r = ids[int(judge_id)].post(f"/api/v1/jam/projects/{pid}/reviews",
                                        json={"scores": {k: quality[pid] for k in RATINGS}})
            assert r.status_code == 201
    assert players[0].get("/api/v1/jam/results").status_code == 403  # published at the end
    rows = ad.get("/api/v1/jam/results").json()
    assert [r["project_id"] for r in rows] == [p["id"] for p in reversed(projects)]
    assert rows[0]["score"] == 9 and rows[0]["low"] <= 9 <= rows[0]["high"] and rows[0]["rank"] == 1
    set_window(server, -120, -1)
    table = list(csv.reader(io.StringIO(players[0].get("/api/v1/jam/results.csv").text)))
    assert table[0][:5] == ["rank", "project_id", "title", "team", "score"] and "ML safety" in table[0]
    assert [row[2] for row in table[1:]] == ["Project 3", "Project 2", "Project 1", "Project 0"]
    page = players[0].get("/jam/results").text
    assert page.index("Project 3") < page.index("Project 0")
    r = ad.put("/api/v1/admin/jam/config", json={"criteria": [{"name": "Overall", "weight": 1}], "normalize": True})
    assert r.status_code == 200 and r.json()["normalize"] is True
    assert ad.get("/api/v1/jam/criteria").json()["criteria"][0]["name"] == "Overall"


@BOTH_DBS
def test_writeups_are_durable_safe_and_checked(server_factory):
    server, players, projects, _ = _setup(server_factory)
    md_id, pdf_id = projects[0]["id"], projects[1]["id"]
    shown = players[2].get(f"/api/v1/jam/projects/{md_id}").json()
    assert shown["title"] == "Project 0" and shown["links"] == ["https://example.org/code"] and shown["writeup"] == "md"
    page = players[2].get(f"/jam/projects/{md_id}").text
    assert "<strong>bold</strong>" in page and "<script>alert" not in page and "&lt;script&gt;" in page
    assert 'href="javascript:' not in page
    stored = list((server.settings.data_dir / "jam" / "writeups").iterdir())
    assert len(stored) == 2 and not any(p.suffix == ".part" for p in stored)
    r = players[2].get(f"/api/v1/jam/projects/{pdf_id}/writeup")
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    assert "attachment" in r.headers["content-disposition"]
    p = players[0]
    cases = [
        (p.post("/api/v1/jam/projects", data={"title": "x"}, files={"writeup": ("a.pdf", b"not a pdf")}), 400, "not a PDF"),
        (p.post("/api/v1/jam/projects", data={"title": "x"}, files={"writeup": ("a.exe", b"MZ")}), 400, ".md"),
        (p.post("/api/v1/jam/projects", data={"title": "x", "links": "ftp://nope"}), 400, "http(s) link"),
        (p.post("/api/v1/jam/projects", data={"title": ""}), 400, "title"),
        (p.post("/api/v1/jam/projects", data={"title": "x"}, files={"writeup": ("a.md", b"x" * (1 << 20 + 1))}),
         413, "limit"),
        (p.get("/api/v1/jam/projects/999"), 404, "no project 999"),
        (p.get(f"/api/v1/jam/projects/{projects[2]['id']}/writeup"), 404, "no writeup"),
        (p.get("/api/v1/jam/queue"), 403, "only judges"),
        (p.post("/api/v1/admin/jam/assign"), 403, "admin"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, (response.status_code, response.text)
        assert words in response.json()["detail"] and "\n" not in response.json()["detail"]
    again = p.post("/api/v1/jam/projects", data={"title": "Renamed", "abstract": "v2"}).json()
    assert again["id"] == md_id and again["title"] == "Renamed" and again["writeup"] == "md"  # update, file kept
    form = p.post("/jam/projects", data={"title": "By form", "abstract": "a", "csrf_token": p.headers["X-CSRF-Token"]},
                  files={"writeup": ("w.md", b"# Hello", "text/markdown")})
    assert form.status_code == 200 and "By form" in form.text and "<h1>Hello</h1>" in form.text
    set_window(server, -120, -1)
    late = p.post("/api/v1/jam/projects", data={"title": "late"})
    assert late.status_code == 403 and "while the jam runs" in late.json()["detail"]


@BOTH_DBS
def test_admin_edits_criteria_on_the_page(server_factory):
    server, *_ = _setup(server_factory)
    ad = admin(server)
    token = ad.headers["X-CSRF-Token"]
    page = ad.get("/admin/jam").text
    assert "ML safety | 2 |" in page
    r = ad.post("/admin/jam/config", data={"criteria": "Insight | 3 | depth\nClarity | 1", "reviews_per_judge": "4",
                                           "seed": "1", "normalize": "1", "csrf_token": token})
    assert r.status_code == 200 and "Insight | 3 | depth" in r.text
    config = ad.get("/api/v1/admin/jam/config").json()
    assert [c["name"] for c in config["criteria"]] == ["Insight", "Clarity"] and config["reviews_per_judge"] == 4
    bad = ad.post("/admin/jam/config", data={"criteria": "Dup | 1\nDup | 2", "csrf_token": token},
                  headers={"accept": "application/json"})
    assert bad.status_code == 400 and "unique" in bad.json()["detail"]
    bad = ad.post("/admin/jam/config", data={"criteria": "X | heavy", "csrf_token": token},
                  headers={"accept": "application/json"})
    assert bad.status_code == 400 and "name | weight" in bad.json()["detail"]
    assert ad.post("/admin/jam/config", data={"criteria": "A", "csrf_token": "stale"}).status_code == 403


def test_export_and_import_keep_projects_reviews_and_writeups(server_factory, tmp_path):
    from sqlalchemy import select

    from interpctf.server.models import JamProject, JamReview
    from interpctf.server.transfer import export_event, import_event
    server, players, projects, judge1 = _setup(server_factory)
    admin(server).post("/api/v1/admin/jam/assign")
    pid = judge1.get("/api/v1/jam/queue").json()["assigned"][0]["id"]
    judge1.post(f"/api/v1/jam/projects/{pid}/reviews", json={"scores": RATINGS})
    out = export_event(server.state.db, server.settings.data_dir, tmp_path / "export")
    db = import_event(out, tmp_path / "copy", f"sqlite:///{tmp_path / 'copy.db'}")
    with db.read() as s:
        rows = s.scalars(select(JamProject).order_by(JamProject.id)).all()
        assert [r.title for r in rows] == [p["title"] for p in projects]
        assert (tmp_path / "copy" / rows[0].writeup_path).read_bytes().startswith(b"# Findings")
        assert [r.scores for r in s.scalars(select(JamReview))] == [RATINGS]
    db.dispose()


def test_every_jam_route_answers_without_key_material_or_500(server_factory):
    server, players, projects, judge1 = _setup(server_factory)
    ids = {"project_id": projects[0]["id"], "number": 1, "slug": "x", "team_id": 1, "sub_id": 1, "hint_id": 1,
           "proposal_id": 1, "writeup_id": 1}
    assert walk_gets([players[1], judge1, server.new_client()], ids, ["password_hash", "argon2"]) > 100
