"""Integer path parameters are database ids in INTEGER columns: past 2^63 - 1 SQLite raises OverflowError, past
2^31 - 1 PostgreSQL says "integer out of range"; both used to answer 500 (found by schemathesis on
GET /api/v1/submissions/{sub_id}). Every route with one, in every event mode, on both databases, as every kind of
caller, answers 2^31 and 2^64 with a 4xx; the admin, whom no guard stops, gets the 422 of the bound."""

import itertools

import pytest
from server_support import BOTH_DBS, admin, event_spec, player
from league_helpers import league_spec
from test_route_guards import effective_routes

from interpctf.server.routes.deps import MAX_ID

TOO_BIG = (2**31, 2**64)  # just past PostgreSQL's INTEGER, past SQLite's
FILL = {"slug": "tiny"}  # the other path parameters


def _mode_of(path: str) -> str:
    for mode in ("league", "jam", "bounty"):
        if f"/{mode}" in path:
            return mode
    return "team"  # the CTF routes answer in every mode; a team event is theirs


def int_path_routes(app) -> list[tuple[str, str, list[str]]]:
    out = []
    for methods, path, dependant in effective_routes(app):
        names = [f.name for f in dependant.path_params if f.field_info.annotation is int]
        if names:
            out.extend((method, path, names) for method in sorted(methods - {"HEAD"}))
    return out


def test_every_integer_path_parameter_is_bounded(server):
    routes = int_path_routes(server.app)
    assert len(routes) >= 20, routes  # submissions, teams, hints, users, rounds, proposals, projects, writeups
    for _method, path, names in routes:
        for _methods, route_path, dependant in effective_routes(server.app):
            if route_path != path:
                continue
            for field in dependant.path_params:
                if field.name in names:
                    bounds = [getattr(m, "le", None) for m in field.field_info.metadata]
                    assert any(b is not None and b <= MAX_ID for b in bounds), (path, field.name)


def _spec(mode: str, tiny) -> dict:
    return {"team": {}, "league": league_spec(), "jam": {"mode": "jam", "challenges": []},
            "bounty": {"mode": "bounty", "challenges": event_spec(tiny)["challenges"][:1]}}[mode]


@BOTH_DBS
@pytest.mark.parametrize("mode", ["team", "league", "jam", "bounty"])
def test_an_id_past_the_database_integer_is_a_4xx_on_every_route(mode, server_factory, tiny):
    server = server_factory(_spec(mode, tiny))
    clients = {"anonymous": server.new_client(), "player": player(server, "walker"), "admin": admin(server)}
    bounded = 0
    for (method, path, names), huge in itertools.product(int_path_routes(server.app), TOO_BIG):
        url = path
        for name in names:
            url = url.replace("{" + name + "}", str(huge))
        for name, value in FILL.items():
            url = url.replace("{" + name + "}", value)
        for who, client in clients.items():
            r = client.request(method, url, headers={"accept": "application/json"})
            assert 400 <= r.status_code < 500, (who, method, url, r.status_code, r.text[:200])
            if who == "admin" and _mode_of(path) == mode:  # nothing else refuses it first: the bound does
                assert r.status_code == 422, (method, url, r.status_code, r.text[:200])
                bounded += 1
    assert bounded >= 4
    if mode == "team":  # a query parameter of the same kind: a variant number
        for huge in TOO_BIG:
            assert clients["player"].get(f"/api/v1/challenges/tiny/key?variant={huge}").status_code == 422
