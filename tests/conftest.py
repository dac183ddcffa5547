"""Shared fixtures: reference challenges (labelfn, edit), forged once per test session."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _forge(tmp_path_factory, name: str, calibrate: bool = False) -> Path:
    from interpctf.forge import forge
    from interpctf.recipe import load_recipe

    out = tmp_path_factory.mktemp(name) / "out"
    forge(load_recipe(RECIPES / f"{name}.yaml"), out, name, calibrate=calibrate)
    return out


@pytest.fixture(scope="session")
def pairs_challenge(tmp_path_factory) -> Path:
    """Forge output folder of recipes/pairs-2023.yaml: bundle/, key.json, key-files/."""
    return _forge(tmp_path_factory, "pairs-2023")


@pytest.fixture(scope="session")
def digits_challenge(tmp_path_factory) -> Path:
    return _forge(tmp_path_factory, "digits-l1band")


@pytest.fixture(scope="session")
def rome_kb_challenge(tmp_path_factory) -> Path:
    """recipes/edit-rome-kb.yaml: one ROME edit, the knowledge base published (trains the world model once)."""
    return _forge(tmp_path_factory, "edit-rome-kb", calibrate=True)


@pytest.fixture(scope="session")
def memit_vocab_challenge(tmp_path_factory) -> Path:
    """recipes/edit-memit-vocab.yaml: three MEMIT edits, only the vocabulary published."""
    return _forge(tmp_path_factory, "edit-memit-vocab", calibrate=True)


SMALL_PAIRS_RULE = "def label(x, y):\n    return int(abs(x - y) > 6)\n"
SMALL_PAIRS = {"kind": "labelfn", "title": "small pairs", "domain": "pairs", "p": 23, "seed": 3,
               "training": {"steps": 800, "batch_size": 256}, "secret": SMALL_PAIRS_RULE}


@pytest.fixture(scope="session")
def small_pairs(tmp_path_factory) -> Path:
    """Forge output folder (bundle/, key.json) of a calibrated p = 23 pairs challenge (~30 s), inside a folder
    of its own so it is a one-challenge suite too (``small_pairs.parent``)."""
    from interpctf.forge import forge
    from interpctf.recipe import parse_recipe

    out = tmp_path_factory.mktemp("small-pairs") / "suite" / "small"
    forge(parse_recipe(SMALL_PAIRS), out, "small", calibrate=True)
    return out
