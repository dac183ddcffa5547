"""The study's candidates as pictures: drawn by the challenge's kind when the study opens, stored under random
names, served to raters and admins only, shown on the rater's page and in the reveal. The kind's drawing is
injected here (the tiny challenge is a labelfn one, whose kind draws none); the trojan kind's own drawing is
tests/kinds/trojan/test_study_pictures.py's."""

import json
import re

from server_support import admin
from study_helpers import POOL, TRIGGERS, png
from test_study_api import _open_study, _rater

from interpctf.kinds.labelfn.kind import LabelFnKind
from interpctf.server import study_pictures


def _drawn(self, challenge, trojans, pool, seed):
    # a distinct picture per candidate: its shade says which one it is, so the test can check the mapping
    return {name: png(8, 8, 10 * i) for i, name in enumerate(sorted(trojans) + sorted(pool))}


def test_the_raters_see_pictures_under_random_names_and_the_reveal_shows_them(server_factory, monkeypatch):
    monkeypatch.setattr(LabelFnKind, "study_pictures", _drawn, raising=False)
    server, boss, teams = _open_study(server_factory)
    index = study_pictures.tokens(server.state)
    assert set(index) == set(TRIGGERS.values()) | set(POOL)
    folder = server.state.data_dir / study_pictures.FOLDER
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{t}.png" for t in index.values()] + ["index.json"])
    assert all(re.fullmatch(r"[0-9a-f]{24}", t) for t in index.values())
    expected = _drawn(None, None, TRIGGERS, POOL, 0)
    by_candidate = {**{TRIGGERS[t]: expected[t] for t in TRIGGERS}, **{e: expected[e] for e in POOL}}
    assert all((folder / f"{index[c]}.png").read_bytes() == by_candidate[c] for c in index)

    rater = _rater(server, "rater1")
    q = rater.get("/api/v1/study/next").json()["question"]
    assert q["pictures"] == [index[c] for c in q["candidates"]]
    assert rater.get(f"/api/v1/study/pictures/{q['pictures'][0]}").content == by_candidate[q["candidates"][0]]
    assert teams[0].get(f"/api/v1/study/pictures/{q['pictures'][0]}").status_code == 404  # not a rater
    assert rater.get("/api/v1/study/pictures/index.json").status_code == 404
    assert rater.get("/api/v1/study/pictures/..%2Findex.json").status_code == 404
    page = rater.get("/study/rate").text
    assert page.count('class="candidate"') == 8 and not any(c in page for c in POOL)  # pictures, not words

    assert boss.post("/api/v1/admin/study/close").status_code == 200
    reveal = boss.get("/study/results").text
    assert f"/api/v1/study/pictures/{index[TRIGGERS['m00']]}" in reveal


def test_pictures_are_named_afresh_each_time_so_a_name_says_nothing(server_factory, monkeypatch):
    monkeypatch.setattr(LabelFnKind, "study_pictures", _drawn, raising=False)
    server, boss, _ = _open_study(server_factory)
    first = dict(study_pictures.tokens(server.state))
    with server.state.db.read() as s:
        from interpctf.server import study
        study_pictures.generate(server.state, s, study.load(server.state).settings)
    again = study_pictures.tokens(server.state)
    assert set(first) == set(again) and not set(first.values()) & set(again.values())


def test_a_kind_that_draws_nothing_leaves_the_descriptions(server_factory):
    server, boss, _ = _open_study(server_factory)
    assert study_pictures.tokens(server.state) == {}
    q = _rater(server, "rater1").get("/api/v1/study/next").json()["question"]
    assert "pictures" not in q
    assert json.loads((server.state.data_dir / study_pictures.FOLDER / "index.json").read_text()) == {}
