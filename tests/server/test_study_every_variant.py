"""A challenge forged with variants gives each team one, so the study's pictures, the code re-run and the audit
must reach every variant, not only variant 0. A second variant is added here as a copy of the tiny challenge's
folders; the kind's drawing is injected (it says which variant's key it read) and the audit's solvers are
replaced by results chosen per variant."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from server_support import admin, player
from study_helpers import POOL, study_spec, upload

from interpctf.kinds.labelfn.kind import LabelFnKind
from interpctf.server import audit_jobs, study, study_pictures, study_rerun
from interpctf.server.errors import ApiError
from interpctf.server.models import Challenge, Variant
from interpctf.server.study_models import StudySubmission



def _add_variant(server) -> tuple[int, int]:
    """One more variant of the tiny challenge, variant 0's bundle and key copied into a folder ``added/``;
    returns (challenge id, the new variant's number)."""
    data = server.state.data_dir
    with server.state.db.write() as s:
        rows = s.scalars(select(Variant).order_by(Variant.number)).all()
        bundle, key = data / rows[0].bundle_path, data / rows[0].key_path
        (data / "added").mkdir()
        shutil.copytree(bundle, data / "added" / "bundle", symlinks=True)
        copy = shutil.copytree if key.is_dir() else shutil.copy2
        copy(key, data / "added" / key.name)
        number = rows[-1].number + 1
        s.execute(insert(Variant).values(challenge_id=rows[0].challenge_id, number=number, bundle_path="added/bundle",
                                         key_path=f"added/{key.name}", commitment=rows[0].commitment))
        return rows[0].challenge_id, number


def _triggers(number: int) -> dict[str, str]:
    return {"m00": "variant 0's first trigger", "m01": "variant 0's second trigger",
            f"v{number}/m00": "the added variant's first trigger", f"v{number}/m01": "the added one's second"}


def _drawn(self, challenge, trojans, pool, seed):
    # the picture's bytes name the key it came from, so the test can tell which variant drew it
    origin = "added" if "added" in Path(challenge.bundle_dir).parts else "first"
    return {name: f"{origin}:{name}".encode() for name in list(trojans) + list(pool)}


def _settings(triggers: dict[str, str]) -> study.StudySettings:
    return study.StudySettings(challenge="tiny", triggers=triggers, pool=POOL, seed=2)


def test_every_variants_planted_triggers_are_drawn_from_that_variants_key(server_factory, monkeypatch):
    monkeypatch.setattr(LabelFnKind, "study_pictures", _drawn, raising=False)
    server = server_factory(study_spec())
    _, number = _add_variant(server)
    triggers = _triggers(number)
    with server.state.db.read() as s:
        assert study_pictures.generate(server.state, s, _settings(triggers)) == len(triggers) + len(POOL)
    index = study_pictures.tokens(server.state)
    folder = server.state.data_dir / study_pictures.FOLDER

    def picture(candidate: str) -> bytes:
        return (folder / f"{index[candidate]}.png").read_bytes()
    assert picture(triggers["m00"]) == b"first:m00" and picture(triggers["m01"]) == b"first:m01"
    assert picture(triggers[f"v{number}/m00"]) == b"added:m00" and picture(triggers[f"v{number}/m01"]) == b"added:m01"
    assert {picture(e) for e in POOL} == {f"first:{e}".encode() for e in POOL}  # distractors drawn once


def test_a_trojan_naming_a_variant_the_challenge_lacks_is_refused_in_one_line(server_factory, monkeypatch):
    monkeypatch.setattr(LabelFnKind, "study_pictures", _drawn, raising=False)
    server = server_factory(study_spec())
    with server.state.db.read() as s, pytest.raises(ApiError) as refused:
        study_pictures.generate(server.state, s, _settings({"v99/m00": "a trigger of variant 99"}))
    assert refused.value.status == 400 and refused.value.message.startswith("triggers: ")
    assert "\n" not in refused.value.message
    assert not (server.state.data_dir / study_pictures.FOLDER).exists()  # nothing half-written


def test_the_rerun_uses_the_bundle_of_the_submitting_teams_own_variant(server_factory):
    server = server_factory(study_spec())
    challenge, number = _add_variant(server)
    (server.state.data_dir / "added" / "bundle" / "which.txt").write_text("the added variant")
    with server.state.db.write() as s:
        count = number + 1  # variants 0..number; team t gets variant (t - 1) % count (state.variant_for)
        for team_id in range(1, 2 * count + 1):
            expected = "the added variant" if (team_id - 1) % count == number else None
            row = StudySubmission(id=team_id, challenge_id=challenge, team_id=team_id, code="")
            work = study_rerun._workspace(server.state, s, row)
            marker = work / "bundle" / "which.txt"
            assert (marker.read_text() if marker.exists() else None) == expected
            shutil.rmtree(work)


def _verdict(flagged: bool, solver: str) -> dict:
    return {"arrays": [[2, 2]], "runs": {solver: {}}, "solved_by": [solver] if flagged else [],
            "flagged": flagged, "line": f"{solver}: {'FLAGGED' if flagged else 'passes'}"}


def test_the_audit_is_flagged_when_any_variant_is_and_keeps_every_variant():
    one = _verdict(False, "a")
    assert audit_jobs.merge_variants([(0, one)]) == one  # one variant: unchanged
    merged = audit_jobs.merge_variants([(0, _verdict(False, "a")), (1, _verdict(True, "b")), (2, _verdict(True, "c"))])
    assert merged["flagged"] is True and merged["solved_by"] == ["b", "c"]
    assert merged["line"] == "b: FLAGGED [variant 1; flagged on 2 of 3 variants: 1, 2]"
    assert [v["variant"] for v in merged["variants"]] == [0, 1, 2]
    clean = audit_jobs.merge_variants([(0, _verdict(False, "a")), (1, _verdict(False, "b"))])
    assert clean["flagged"] is False and clean["solved_by"] == [] and clean["line"] == "a: passes"


def test_a_hint_is_audited_on_every_variant(server_factory, monkeypatch):
    server = server_factory(study_spec())
    challenge, number = _add_variant(server)
    seen = []

    def fake_submit(state, bundle, key, text):
        seen.append(bundle)
        return _verdict("added" in Path(bundle).parts, "solver")
    monkeypatch.setattr(audit_jobs, "_submit", fake_submit)
    with server.state.db.write() as s:
        assert s.get(Challenge, challenge) is not None
        paths = audit_jobs._paths(server.state, s, challenge)
    result = audit_jobs._hint_work(server.state, paths, "a hint [[1, 2], [3, 4]]")
    assert len(seen) == number + 1 and sum("added" in Path(b).parts for b in seen) == 1
    assert result["flagged"] is True and [v["variant"] for v in result["variants"]] == list(range(number + 1))


def test_each_team_is_asked_about_its_own_variants_trojan(server_factory):
    server = server_factory(study_spec())
    _, number = _add_variant(server)
    count = number + 1  # team t works on variant (t - 1) % count (state.variant_for)
    triggers = {"m00": "variant 0's trigger", **{f"v{n}/m00": f"variant {n}'s trigger" for n in range(1, count)}}
    boss = admin(server)
    settings = {"challenge": "tiny", "triggers": triggers, "pool": POOL, "raters_per_question": 1, "seed": 2,
                "attention_checks": 0}
    assert boss.put("/api/v1/admin/study/settings", json=settings).status_code == 200
    teams = [player(server, f"p{i}") for i in range(count)]
    for client in teams:
        assert upload(client, {"m00": 1}).status_code == 201  # each names the trojan plainly, as its bundle does
    assert boss.post("/api/v1/admin/study/open").status_code == 200
    with server.state.db.read() as s:
        team_of = dict(s.execute(select(StudySubmission.id, StudySubmission.team_id)).all())
    asked = {team_of[q.submission]: q.trojan for q in study.questions(study.load(server.state))}
    assert asked == {t: ("m00" if (t - 1) % count == 0 else f"v{(t - 1) % count}/m00") for t in team_of.values()}


def test_a_team_whose_variant_the_triggers_omit_is_refused_in_one_line(server_factory):
    server = server_factory(study_spec())
    _, number = _add_variant(server)
    boss = admin(server)
    settings = {"challenge": "tiny", "triggers": {"m00": "variant 0's", "v1/m00": "variant 1's"}, "pool": POOL,
                "raters_per_question": 1, "seed": 2, "attention_checks": 0}
    assert boss.put("/api/v1/admin/study/settings", json=settings).status_code == 200
    teams = [player(server, f"p{i}") for i in range(number + 1)]  # one team on every variant, the added one too
    for client in teams:
        assert upload(client, {"m00": 1}).status_code == 201
    refused = boss.post("/api/v1/admin/study/open")
    assert refused.status_code == 409 and f"'v{number}/m00' is not among the triggers" in refused.text
    assert study.load(server.state).status == "draft"  # nothing opened
