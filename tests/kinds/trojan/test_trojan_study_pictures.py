"""A study's candidate pictures from a detection suite's key: the planted triggers are the key's own pictures,
the pool's distractors are drawn alike (same layout and size), deterministically from the seed and the entry."""

import struct

import pytest

from interpctf.bundle import open_challenge
from interpctf.kinds import get_kind
from interpctf.kinds.trojan.facts import TrojanSecret


@pytest.fixture(scope="module")
def suite(small_suite):
    return open_challenge(small_suite / "bundle", small_suite / "key.json")


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_planted_triggers_come_from_the_key_and_distractors_are_drawn_alike(suite):
    secret = suite.secret_as(TrojanSecret)
    trojaned = sorted(m for m, v in secret.labels.items() if v)
    clean = sorted(m for m, v in secret.labels.items() if not v)
    pool = ["distractor a", "distractor b", "distractor c"]
    pictures = get_kind("trojan").study_pictures(suite, trojaned + clean, pool, seed=5)
    assert set(pictures) == set(trojaned) | set(pool)  # a clean model has no trigger to show
    for m in trojaned:
        assert pictures[m] == (suite.require_key_dir() / "triggers" / f"{m}.png").read_bytes()
    sizes = {_size(p) for p in pictures.values()}
    assert len(sizes) == 1  # one layout for every candidate: size says nothing
    assert len({pictures[e] for e in pool}) == len(pool)
    again = get_kind("trojan").study_pictures(suite, trojaned, pool, seed=5)
    assert all(again[e] == pictures[e] for e in pool)
    other_seed = get_kind("trojan").study_pictures(suite, trojaned, pool, seed=6)
    assert all(other_seed[e] != pictures[e] for e in pool)


def test_without_planted_pictures_nothing_is_drawn(suite):
    assert get_kind("trojan").study_pictures(suite, ["no-such-model"], ["a"], seed=0) == {}
