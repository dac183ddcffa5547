"""Keys forged by earlier code verify byte for byte (their canonical JSON is unchanged), read through the kinds'
typed facts, and their reference answers still solve. Each fixture folder is a forge output (bundle/, key.json,
key-files/) written by the commit its name gives."""

import json
from pathlib import Path

import pytest

from interpctf.bundle import open_challenge, read_key, read_manifest, verify
from interpctf.canonical import canonical_json, sha256_hex
from interpctf.grading import grade_file, recheck_bars
from interpctf.kinds import get_kind

FIXTURES = Path(__file__).parent / "fixtures"
# forged by commit ce74609 (before schema.py): the SMALL_PAIRS recipe of tests/conftest.py, and
# recipes/trojan-patch.yaml titled "small trojan" (forged without baselines)
FORGED_BEFORE_SCHEMA = ["key-ce74609-labelfn", "key-ce74609-trojan"]


@pytest.mark.parametrize("name", FORGED_BEFORE_SCHEMA)
def test_a_key_forged_before_the_schema_verifies_byte_for_byte(name):
    folder = FIXTURES / name
    report = verify(folder / "bundle", folder / "key.json")
    assert report.ok, report.problems
    raw = json.loads((folder / "key.json").read_text())
    key = read_key(folder / "key.json")
    assert key.model_dump(mode="json") == raw  # nothing added, dropped or retyped on the way through the models
    assert key.commitment() == sha256_hex(canonical_json(raw)) == read_manifest(folder / "bundle").commitment
    assert key.quality is not None


@pytest.mark.parametrize("name", FORGED_BEFORE_SCHEMA)
def test_its_facts_read_typed_and_its_reference_answer_solves(name):
    folder = FIXTURES / name
    challenge = open_challenge(folder / "bundle", folder / "key.json")
    kind = get_kind(challenge.manifest.kind)
    public, secret = kind.public(challenge), kind.secret(challenge)
    assert public.stored() == challenge.manifest.public and secret.stored() == challenge.require_key().secret
    grade = grade_file(kind, challenge.require_key().reference_answer.file(), challenge)
    assert grade.solved and grade.public_solved
    assert all(check.met for check in recheck_bars(challenge))
