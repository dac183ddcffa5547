"""Errors shown to participants never contain private probe inputs, whatever the answer puts in its messages.

Each answer below is given (by the test, which holds the key) the private probe inputs, and tries to smuggle
them out through an exception message or a load error. The grade's texts may only hold public inputs."""

import re

import pytest

from interpctf.bundle import open_challenge
from interpctf.grading import grade_file
from interpctf.kinds.labelfn.domains import DOMAINS
from interpctf.kinds.labelfn.facts import LabelFnPublic
from interpctf.kinds.labelfn.probes import Probes
from interpctf.schema import AnswerFile


@pytest.fixture(scope="module")
def challenge(small_pairs):
    return open_challenge(small_pairs / "bundle", small_pairs / "key.json")


@pytest.fixture(scope="module")
def splits(challenge):
    probes = Probes.of(challenge)
    inputs = probes.inputs(DOMAINS[probes.domain], challenge.public_as(LabelFnPublic), challenge.key_dir)
    public = {tuple(map(int, row)) for row in inputs[probes.public_rows]}
    private = {tuple(map(int, row)) for row in inputs[probes.private_rows]} - public
    assert private and public
    return public, private


def _pairs_in(text: str) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in re.findall(r"<(\d+),(\d+)>", text)}


def _shown(grade) -> str:
    return " ".join(str(v) for v in (grade.details.get("error"), grade.details.get("first_error")) if v)


def _grade(challenge, source: str):
    return grade_file(None, AnswerFile("answer.py", source.encode()), challenge)


def test_an_exception_on_a_private_probe_is_not_echoed(challenge, splits):
    public, private = splits
    source = (f"PRIVATE = {sorted(private)!r}\n"
              "def label(x, y):\n"
              "    if (x, y) in set(PRIVATE):\n"
              "        raise ValueError(f'<{x},{y}>')\n"
              "    return 0\n")
    g = _grade(challenge, source)
    assert g.details["exceptions"] == len(private)  # graded on every private probe, as before
    shown = _shown(g)
    assert "private probes" in shown and not _pairs_in(shown)


def test_state_gathered_over_private_probes_is_not_echoed_from_a_public_probe(challenge, splits):
    public, private = splits
    # remembers every private input it sees, and raises with them on the next public input
    source = (f"PRIVATE = set({sorted(private)!r})\n"
              "seen = []\n"
              "def label(x, y):\n"
              "    if (x, y) in PRIVATE:\n"
              "        seen.append(f'<{x},{y}>')\n"
              "    elif seen:\n"
              "        raise ValueError(''.join(seen[-20:]))\n"
              "    return 0\n")
    g = _grade(challenge, source)
    assert g.details["exceptions"] > 0
    assert not _pairs_in(_shown(g)) & private


def test_a_load_error_built_from_the_inputs_shows_public_inputs_only(challenge, splits):
    public, private = splits
    # at load time, look through the caller frames for the probe inputs and raise with them
    source = ("import sys\n"
              "f, found = sys._getframe(), []\n"
              "while f is not None:\n"
              "    for v in list(f.f_locals.values()):\n"
              "        if getattr(v, 'ndim', 0) == 2 and v.shape[1] == 2:\n"
              "            found += [f'<{int(a)},{int(b)}>' for a, b in v.tolist()]\n"
              "    f = f.f_back\n"
              f"PRIVATE = set({[f'<{a},{b}>' for a, b in sorted(private)]!r})\n"
              "leak = [p for p in found if p in PRIVATE] or found\n"
              "raise ValueError(''.join(leak[:20]) or 'nothing found')\n"
              "def label(x, y):\n"
              "    return 0\n")
    g = _grade(challenge, source)
    shown = _shown(g)
    assert g.score == 0.0 and "ValueError" in shown
    assert not _pairs_in(shown) & private


def test_an_error_on_a_public_probe_keeps_its_message(challenge, splits):
    public, _ = splits
    x, y = sorted(public)[0]
    g = _grade(challenge, f"def label(x, y):\n    if (x, y) == {(x, y)!r}:\n        raise KeyError(f'<{{x}},{{y}}>')"
                          f"\n    return 0\n")
    shown = g.details["first_error"]
    assert shown.startswith("KeyError") and _pairs_in(shown) == {(x, y)} and "public probe" in shown

