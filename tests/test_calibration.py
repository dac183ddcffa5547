"""Calibration at forge time: which baselines solve a challenge, black-box vs white-box, in manifest and card."""

import json

import pytest
from typer.testing import CliRunner

from interpctf.bundle import read_manifest, verify
from interpctf.calibration import calibration_text, summarize
from interpctf.cli import app
from interpctf.schema import CalibrationRun

TINY = """kind: labelfn
title: tiny
domain: pairs
p: 23
seed: 2
training: {steps: 150, batch_size: 256}
secret: |
  def label(x, y):
      return int(x < 12) ^ int((7 * x + 5 * y) % 61 == 0)
"""


def test_summary_splits_black_box_from_white_box():
    cal = summarize({"probe": CalibrationRun(access="black-box", score=0.6, solved=False),
                     "cleanse": CalibrationRun(access="white-box", score=1.0, solved=True),
                     "broken": CalibrationRun(access="black-box", score=0.0, solved=False, error="boom")})
    assert not cal.black_box_solvable and cal.white_box_solvable
    assert cal.solved_by == {"black-box": [], "white-box": ["cleanse"]}
    text = calibration_text(cal)
    assert "white-box: **solvable** by cleanse" in text and "black-box: not solved (tried: probe, broken)" in text


def test_forge_calibrate_records_it_and_keeps_the_commitment(tmp_path):
    (tmp_path / "tiny.yaml").write_text(TINY)
    result = CliRunner().invoke(app, ["forge", str(tmp_path / "tiny.yaml"), "-o", str(tmp_path / "out"),
                                      "--calibrate", "-q"])
    assert result.exit_code == 0, result.output
    assert "calibration: black-box solvable" in result.output
    manifest = read_manifest(tmp_path / "out" / "bundle")
    cal = manifest.calibration
    # the kind's baselines and its stronger registered solvers (here the rule search) all ran
    assert set(cal.runs) == {"constant", "blackbox", "labelfn/rulesearch"}
    assert {r.access for r in cal.runs.values()} == {"black-box"}
    assert cal.black_box_solvable == any(r.solved for r in cal.runs.values())
    assert {n: cal.runs[n].score for n in manifest.baselines} == {n: b.score for n, b in manifest.baselines.items()}
    assert verify(tmp_path / "out" / "bundle", tmp_path / "out" / "key.json").ok
    assert "## Calibration" in (tmp_path / "out" / "bundle" / "README.md").read_text()
    # a manifest without calibration (forged before it existed, or without --calibrate) still reads
    plain = json.loads((tmp_path / "out" / "bundle" / "challenge.json").read_text())
    plain.pop("calibration")
    (tmp_path / "out" / "bundle" / "challenge.json").write_text(json.dumps(plain))
    assert read_manifest(tmp_path / "out" / "bundle").calibration is None


def test_a_simple_rule_is_flagged_black_box_solvable_by_the_rule_search(small_pairs):
    """|x - y| > 6 defeats the baselines but a search over small rules recovers it from the outside: the
    streetlight risk calibration exists to report."""
    cal = read_manifest(small_pairs / "bundle").calibration
    assert cal is not None and cal.black_box_solvable and not cal.white_box_solvable
    assert cal.solved_by["black-box"] == ["labelfn/rulesearch"]
    assert not cal.runs["constant"].solved and not cal.runs["blackbox"].solved
    card = (small_pairs / "bundle" / "README.md").read_text()
    assert "black-box: **solvable** by labelfn/rulesearch (tried: constant, blackbox, labelfn/rulesearch)" in card


@pytest.mark.slow
def test_labelfn_reference_challenges_calibrate():
    """pairs-2023 is not solvable from the outside. digits-l1band is: its centre is one of the data set's own
    images, so a black-box search over prototypes and bands (labelfn/rulesearch) recovers the rule. That is the
    2023 challenge's design, and exactly the streetlight risk calibration is there to report (a blend of digits
    as the centre resists the search, but the CNN then reaches only 93-95% held-out accuracy)."""
    from interpctf.bundle import open_challenge
    from interpctf.calibration import calibrate
    from interpctf.reference import forged_reference

    verdicts = {}
    for name in ("pairs-2023", "digits-l1band"):
        out = forged_reference(name)
        cal = calibrate(open_challenge(out / "bundle", out / "key.json"))
        assert set(cal.runs) == {"constant", "blackbox", "labelfn/rulesearch"}
        assert not any(r.error for r in cal.runs.values()) and not cal.white_box_solvable
        assert not cal.runs["constant"].solved and not cal.runs["blackbox"].solved
        verdicts[name] = cal.solved_by["black-box"]
    assert verdicts == {"pairs-2023": [], "digits-l1band": ["labelfn/rulesearch"]}
