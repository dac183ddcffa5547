"""Jam logistics over the API: register with a site (capacity held), cancel only before the start, rejoin; team
size bounds and the submission deadline at submission; judging: everyone (registered participants get
assignments, never their own team's project) only inside the judging window; the ideas list (markdown
sanitised, one upvote each); sites on the results; the schedule as an iCal feed parsed back by ``icalendar``.
Each bad input gets a one-line 4xx and leaves nothing behind."""

from sqlalchemy import func, select

from server_support import admin, player, register
from jam_helpers import jam_2022_spec, phase_minutes, set_jam_clock

from interpctf.server.models import JamIdeaVote, JamParticipant, JamProject, JamReview

RATINGS = {"ML safety": 8, "Interpretability": 6, "Novelty": 7, "Generality": 5, "Reproducibility": 9}


def _spec(**jam) -> dict:
    spec = jam_2022_spec()
    spec["jam"].update({"reviews_per_judge": 2, "team_min": 1, "team_max": 2, **jam})
    spec["jam"]["sites"][0]["capacity"] = 1
    spec["accounts"] = [{"name": "admin", "password": "admin-password", "role": "admin"}]
    return spec


def _count(server, model, *where) -> int:
    with server.state.db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_register_cancel_rejoin_and_site_capacity(server_factory):
    server = server_factory(_spec())
    set_jam_clock(server, -60)  # an hour before the kick-off
    alice, bob = player(server, "alice"), player(server, "bob")
    assert alice.post("/api/v1/jam/participation", json={"site": "Aarhus"}).status_code == 201
    full = bob.post("/api/v1/jam/participation", json={"site": "Aarhus"})
    assert full.status_code == 400 and full.json()["detail"] == "site 'Aarhus' is full (1 places)"
    unknown = bob.post("/api/v1/jam/participation", json={"site": "Atlantis"})
    assert unknown.status_code == 400 and "unknown site 'Atlantis'" in unknown.json()["detail"]
    assert _count(server, JamParticipant) == 1  # the refused registrations left nothing
    assert bob.post("/api/v1/jam/participation", json={"site": ""}).status_code == 201  # online
    view = alice.get("/api/v1/jam/logistics").json()
    assert view["me"]["site"] == "Aarhus" and view["sites"][0]["taken"] == 1 and view["judging"] == "everyone"
    assert alice.delete("/api/v1/jam/participation").status_code == 200
    assert bob.post("/api/v1/jam/participation", json={"site": "Aarhus"}).status_code == 201  # the place is free
    assert alice.post("/api/v1/jam/participation", json={"site": "London"}).status_code == 201  # rejoined
    set_jam_clock(server, 5)
    late = alice.delete("/api/v1/jam/participation")
    assert late.status_code == 409 and "only before the start" in late.json()["detail"]
    assert _count(server, JamParticipant) == 2


def _joiner(server, name, leader):
    client = server.new_client()
    register(client, name)
    invite = leader.get("/api/v1/teams/me").json()["invite_code"]
    assert client.post("/api/v1/teams/join", json={"invite_code": invite}).status_code == 200
    return client


def test_team_size_deadline_and_registration_at_submission(server_factory):
    server = server_factory(_spec(team_min=2))
    set_jam_clock(server, -10)
    solo, big, pair, unregistered = (player(server, n) for n in ("solo", "big", "pair", "loner"))
    for c in (solo, big, pair):
        assert c.post("/api/v1/jam/participation", json={}).status_code == 201
    for name in ("big2", "big3"):
        _joiner(server, name, big)
    _joiner(server, "pair2", pair)
    set_jam_clock(server, 60)
    form = {"title": "Probing sums", "abstract": "x", "links": ""}
    r = solo.post("/api/v1/jam/projects", data=form)
    assert r.status_code == 400 and r.json()["detail"] == ("your team has 1 member(s); this jam needs at least 2 "
                                                           "to submit")
    r = big.post("/api/v1/jam/projects", data=form)
    assert r.status_code == 400 and r.json()["detail"] == "your team has 3 members; this jam allows at most 2"
    r = unregistered.post("/api/v1/jam/projects", data=form)
    assert r.status_code == 403 and "register for the jam first" in r.json()["detail"]
    assert _count(server, JamProject) == 0
    assert pair.post("/api/v1/jam/projects", data=form).status_code == 201
    set_jam_clock(server, phase_minutes(jam_2022_spec(), "submission") + 1)
    r = pair.post("/api/v1/jam/projects", data={**form, "title": "Changed after the deadline"})
    assert r.status_code == 403 and r.json()["detail"] == "the submission deadline has passed"
    with server.state.db.read() as s:
        assert [p.title for p in s.scalars(select(JamProject))] == ["Probing sums"]


def test_everyone_judges_only_inside_the_window_and_sites_show_on_results(server_factory):
    server = server_factory(_spec(team_max=6))
    set_jam_clock(server, -10)
    people = [player(server, f"p{i}") for i in range(4)]
    for i, c in enumerate(people):
        assert c.post("/api/v1/jam/participation", json={"site": ["London", "", "Toronto", ""][i]}).status_code == 201
    set_jam_clock(server, 60)
    ids = [c.post("/api/v1/jam/projects", data={"title": f"Project {i}"}).json()["id"] for i, c in enumerate(people)]
    assignment = admin(server).post("/api/v1/admin/jam/assign").json()
    assert len(assignment) == 4 and all(len(v) == 2 for v in assignment.values())  # every participant judges
    me = {c.get("/api/v1/me").json()["id"]: (c, ids[i]) for i, c in enumerate(people)}
    assert all(me[int(j)][1] not in items for j, items in assignment.items())  # never their own team's
    judge, own = me[int(next(iter(assignment)))]
    target = assignment[next(iter(assignment))][0]
    early = judge.post(f"/api/v1/jam/projects/{target}/reviews", json={"scores": RATINGS})
    assert early.status_code == 403 and "has not opened yet" in early.json()["detail"]
    window = phase_minutes(jam_2022_spec(), "judging")
    set_jam_clock(server, window + 1)
    for j, items in assignment.items():
        client = me[int(j)][0]
        for pid in items:
            r = client.post(f"/api/v1/jam/projects/{pid}/reviews", json={"scores": RATINGS})
            assert r.status_code == 201, r.text
    set_jam_clock(server, window + 4 * 60 + 1)  # the 4-hour window has closed
    late = judge.post(f"/api/v1/jam/projects/{target}/reviews", json={"scores": {**RATINGS, "Novelty": 1}})
    assert late.status_code == 403 and "has closed" in late.json()["detail"]
    assert _count(server, JamReview) == 8
    with server.state.db.read() as s:
        assert all(r.scores["Novelty"] == 7 for r in s.scalars(select(JamReview)))  # the late one changed nothing
    set_jam_clock(server, 100_000)
    rows = people[0].get("/api/v1/jam/results").json()
    assert {r["title"]: r["sites"] for r in rows} == {"Project 0": ["London"], "Project 1": ["online"],
                                                      "Project 2": ["Toronto"], "Project 3": ["online"]}


def test_ideas_markdown_and_one_vote_each(server_factory):
    server = server_factory(_spec())
    alice, bob = player(server, "alice"), player(server, "bob")
    r = alice.post("/api/v1/jam/ideas", json={"title": "Absorption in the toy task",
                                               "body": "Try **BatchTopK**. <script>alert(1)</script>"})
    assert r.status_code == 201
    idea = r.json()["id"]
    assert alice.post("/api/v1/jam/ideas", json={"title": " "}).status_code == 400
    assert bob.post(f"/api/v1/jam/ideas/{idea}/vote").json()["votes"] == 1
    again = bob.post(f"/api/v1/jam/ideas/{idea}/vote")
    assert again.status_code == 409 and "one vote each" in again.json()["detail"]
    assert alice.post(f"/api/v1/jam/ideas/{idea}/vote").json()["votes"] == 2
    assert bob.post("/api/v1/jam/ideas/999/vote").status_code == 404
    assert _count(server, JamIdeaVote) == 2
    listed = bob.get("/api/v1/jam/ideas").json()
    assert listed[0]["votes"] == 2 and listed[0]["voted"] is True
    page = bob.get("/jam/ideas").text
    assert "<strong>BatchTopK</strong>" in page and "<script>alert" not in page


def test_the_schedule_as_an_ical_feed(server_factory):
    from icalendar import Calendar
    server = server_factory(_spec())
    r = server.new_client().get("/jam/schedule.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    events = [c for c in cal.walk("VEVENT")]
    spec = jam_2022_spec()["jam"]["schedule"]
    assert [str(e["summary"]) for e in events] == [f"Interpretability hackathon: {p['name']}" for p in spec]
    assert [e.decoded("dtstart") for e in events] == [p["starts_at"] for p in spec]
    judging = events[3]
    assert (judging.decoded("dtend") - judging.decoded("dtstart")).total_seconds() == 4 * 3600
    assert len({str(e["uid"]) for e in events}) == len(events)


def test_a_bad_jam_config_is_one_line_naming_the_field():
    import pytest

    from interpctf.errors import InterpctfError
    from interpctf.server.event_spec import parse_event_spec
    cases = [({"team_min": 3, "team_max": 2}, "team_min must not exceed team_max"),
             ({"judging": "nobody"}, "field 'jam.judging'"),
             ({"sites": [{"name": "A"}, {"name": "a"}]}, "site names must be unique")]
    for change, words in cases:
        spec = jam_2022_spec()
        spec["jam"].update(change)
        with pytest.raises(InterpctfError) as err:
            parse_event_spec(spec)
        assert words in str(err.value) and "\n" not in str(err.value)
    spec = jam_2022_spec()
    spec["jam"]["schedule"][-1]["ends_at"] = spec["ends_at"].replace(year=2027)
    with pytest.raises(InterpctfError, match="every jam phase must lie inside the event window"):
        parse_event_spec(spec)
