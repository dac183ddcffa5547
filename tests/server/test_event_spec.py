"""EVENT.yaml: the reference event parses; mistakes get one-line messages naming the field."""

from pathlib import Path

import pytest

from interpctf.errors import InterpctfError
from interpctf.server.event_spec import load_event_spec, parse_event_spec

ROOT = Path(__file__).resolve().parents[2]


def test_reference_event_parses():
    spec, base = load_event_spec(ROOT / "recipes" / "events" / "reference-ctf.yaml")
    assert [c.slug for c in spec.challenges] == ["pairs-curvy", "digits-l1band"]
    assert (base / spec.challenges[0].recipe).resolve() == (ROOT / "recipes" / "pairs-curvy.yaml")
    assert spec.challenges[1].value.function == "parabolic" and spec.rules.first_blood == [50, 25, 10]
    assert spec.freeze_at is not None and spec.starts_at.tzinfo is None  # stored as naive UTC


def test_example_league_and_jam_events_parse():
    league, _ = load_event_spec(ROOT / "recipes" / "events" / "league.yaml")
    assert league.mode == "league" and len(league.league.rounds) == 2
    assert league.league.rules.proposer_max == 3
    jam, _ = load_event_spec(ROOT / "recipes" / "events" / "jam.yaml")
    assert jam.mode == "jam" and [c.weight for c in jam.jam.criteria] == [2, 1, 1, 1, 1]
    assert {a.role for a in jam.accounts} == {"admin", "judge"}


@pytest.mark.parametrize("change, message", [
    ({"ends_at": "2026-01-01T00:00:00"}, "ends_at must be after starts_at"),
    ({"freeze_at": "2030-01-01T00:00:00"}, "freeze_at"),
    ({"mode": "solo"}, "mode"),
    ({"challenges": [{"slug": "a"}]}, "exactly one of 'recipe' or 'forged'"),
    ({"challenges": [{"slug": "Bad Slug", "forged": "x"}]}, "slug"),
    ({"challenges": [{"slug": "a", "forged": "x", "value": {"function": "linear", "initial": 1, "minimum": 5}}]},
     "minimum"),
])
def test_mistakes_are_one_line(change, message):
    data = {"title": "t", "starts_at": "2026-02-01T00:00:00", "ends_at": "2026-02-02T00:00:00", **change}
    with pytest.raises(InterpctfError) as info:
        parse_event_spec(data, "event.yaml")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_unreadable_event_file(tmp_path):
    with pytest.raises(InterpctfError, match="cannot read event file"):
        load_event_spec(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("title: [unclosed")
    with pytest.raises(InterpctfError, match="not valid YAML"):
        load_event_spec(tmp_path / "bad.yaml")
