"""Forging: variants draw different secrets; a failure leaves nothing half-written; every variant is retrained
with derived seeds until its quality bars hold, all attempts recorded in the key and on the card; keys forged
before bars still verify; ``check`` re-measures the bars."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interpctf.bundle import open_challenge, read_key, read_manifest, verify
from interpctf.cli import app
from interpctf.errors import BadRecipe, InterpctfError
from interpctf.forge import attempt_seed, forge, variant_seed
from interpctf.grading import grade_file, recheck_bars
from interpctf.kinds import get_kind
from interpctf.recipe import parse_recipe

# x < T with 8 exception pairs, where (7x + 5y) % 61 == 0: the p = 23 transformer learns it in 150 steps to
# held-out accuracy 0.974-0.993 (T = 12, 5 of 5 seeds during development), above the labelfn floor of 0.9 yet below
# 1, as a solvable labelfn challenge needs (solving means beating the model). Sums and comparisons of x and y stay
# at 0.92-0.97 at this size; rules on x alone train to 1.0.
SMALL = {
    "kind": "labelfn", "title": "small", "domain": "pairs", "p": 23, "seed": 5,
    "training": {"steps": 150, "batch_size": 256},
    "secret": "def draw(rng, inputs):\n    return {'T': int(rng.integers(6, 18))}\n\n"
              "def label(x, y):\n    return int(x < T) ^ int((7 * x + 5 * y) % 61 == 0)\n",
}
# For the unit tests of the retry loop, whose figures are scripted: training quality does not matter there.
SCRIPTED = {**SMALL, "training": {"steps": 30, "batch_size": 256}}
OLD_KEY = Path(__file__).parent / "fixtures" / "key-before-bars"


@pytest.fixture
def scripted_figures(monkeypatch):
    """Make the labelfn forge report the given held-out accuracies, one per attempt, over real forged bundles:
    a unit test of the retry loop that does not depend on how well a seed happens to train."""
    kind = get_kind("labelfn")
    real = type(kind).forge
    seeds = []

    def script(figures):
        def fake(self, recipe, variant, seed, target, progress):
            forged = real(self, recipe, variant, seed, target, progress)
            forged.metrics["heldout_accuracy"] = figures[len(seeds)]
            seeds.append(seed)
            return forged
        monkeypatch.setattr(type(kind), "forge", fake)
        return seeds
    return script


def test_variants_get_distinct_secrets_and_ids(tmp_path):
    recipe = parse_recipe({**SMALL, "variants": 3})
    folders = forge(recipe, tmp_path / "out", "small", run_baselines=False)
    assert [f.name for f in folders] == ["000", "001", "002"]
    keys = [read_key(f / "key.json") for f in folders]
    manifests = [read_manifest(f / "bundle") for f in folders]
    assert len({m.id for m in manifests}) == 3 and {m.challenge for m in manifests} == {"small"}
    assert len({k.secret["rule_source"] for k in keys}) == 3
    assert len({k.salt for k in keys}) == 3
    for folder in folders:
        assert verify(folder / "bundle", folder / "key.json").ok
    # one team's answer does not carry over to another team's variant
    other = open_challenge(folders[1] / "bundle", folders[1] / "key.json")
    assert not grade_file(None, keys[0].reference_answer.file(), other).solved


def test_forge_refuses_to_overwrite(tmp_path):
    recipe = parse_recipe(SMALL)
    forge(recipe, tmp_path / "out", "small", run_baselines=False)
    with pytest.raises(InterpctfError, match="already holds"):
        forge(recipe, tmp_path / "out", "small", run_baselines=False)


def test_failed_forge_leaves_nothing(tmp_path):
    recipe = parse_recipe({**SMALL, "secret": "def label(x, y):\n    return 2\n"})
    with pytest.raises(BadRecipe, match="labels must be 0 or 1"):
        forge(recipe, tmp_path / "out", "small", run_baselines=False)
    assert not any((tmp_path / "out").rglob("*.json"))


def test_attempt_zero_keeps_the_variant_seed_and_later_ones_differ():
    recipe = parse_recipe(SMALL)
    seed = variant_seed(recipe, 0)
    seeds = [attempt_seed(seed, k) for k in range(20)]
    assert seeds[0] == recipe.seed and len(set(seeds)) == 20
    assert seeds == [attempt_seed(seed, k) for k in range(20)]  # deterministic
    assert all(0 <= s < 2**31 - 1 for s in seeds)


def test_a_failing_attempt_is_retrained_and_every_attempt_recorded(tmp_path, scripted_figures):
    seeds = scripted_figures([0.85, 0.895, 0.99, 0.2])
    out = tmp_path / "out"
    forge(parse_recipe(SCRIPTED), out, "small", run_baselines=False)
    assert seeds == [attempt_seed(SCRIPTED["seed"], k) for k in range(3)]  # stopped at the first passing attempt
    key = read_key(out / "key.json")
    assert [(a.seed, a.figures["heldout_accuracy"], a.passed) for a in key.quality.attempts] == [
        (seeds[0], 0.85, False), (seeds[1], 0.895, False), (seeds[2], 0.99, True)]
    assert [b.name for b in key.quality.bars] == ["min_heldout_accuracy"] and key.quality.max_attempts == 5
    assert key.metrics["heldout_accuracy"] == 0.99 and verify(out / "bundle", out / "key.json").ok
    quality = read_manifest(out / "bundle").quality
    assert quality.attempts == 3 and [(c.bar.name, c.figure, c.met) for c in quality.checks] == [
        ("min_heldout_accuracy", 0.99, True)]
    card = (out / "bundle" / "README.md").read_text()
    assert "## Quality bars" in card and "forging took 3 of at most 5 attempts" in card
    assert "| min_heldout_accuracy | >= 0.9 | 0.9900 | yes |" in card
    assert sorted(p.name for p in out.iterdir()) == ["bundle", "key-files", "key.json"]  # no staging left
    assert "seed" not in json.dumps(read_manifest(out / "bundle").model_dump())  # seeds stay in the key


def test_no_passing_attempt_fails_with_one_line_and_leaves_nothing(tmp_path, scripted_figures):
    seeds = scripted_figures([0.80, 0.89, 0.85])
    out = tmp_path / "out"
    with pytest.raises(InterpctfError) as exc:
        forge(parse_recipe({**SCRIPTED, "max_attempts": 3, "variants": 2}), out, "small", run_baselines=False)
    assert len(seeds) == 3
    message = str(exc.value)
    assert "min_heldout_accuracy >= 0.9" in message and "0.8900" in message and "\n" not in message
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_a_later_variant_failing_removes_the_earlier_ones(tmp_path, scripted_figures):
    scripted_figures([0.99, 0.5])
    with pytest.raises(InterpctfError, match="min_heldout_accuracy"):
        forge(parse_recipe({**SCRIPTED, "max_attempts": 1, "variants": 2}), tmp_path / "out", "small",
              run_baselines=False)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_a_tightened_bar_is_what_the_forge_holds_to(tmp_path, scripted_figures):
    seeds = scripted_figures([0.98, 0.995])
    forge(parse_recipe({**SCRIPTED, "bars": {"min_heldout_accuracy": 0.99}}), tmp_path / "out", "small",
          run_baselines=False)
    key = read_key(tmp_path / "out" / "key.json")
    assert len(seeds) == 2 and key.quality.bars[0].threshold == 0.99
    assert [a.passed for a in key.quality.attempts] == [False, True]


def test_check_re_measures_the_bars_and_fails_when_one_does_not_hold(tmp_path, monkeypatch):
    out = tmp_path / "out"
    forge(parse_recipe(SMALL), out, "small", run_baselines=False)
    challenge = open_challenge(out / "bundle", out / "key.json")
    [check] = recheck_bars(challenge)
    # the published model's held-out accuracy, recomputed, is the one the forge recorded
    assert check.source == "measured" and check.met
    assert check.figure == pytest.approx(read_key(out / "key.json").metrics["heldout_accuracy"], abs=1e-12)

    result = CliRunner().invoke(app, ["check", str(out), str(out)])
    assert result.exit_code == 0, result.output
    assert "bar min_heldout_accuracy >= 0.9: " in result.output and "(met) [measured]" in result.output
    result = CliRunner().invoke(app, ["check", str(out), str(out), "--json"])
    data = json.loads(result.output)
    assert data["bars_met"] is True and data["bars"][0]["bar"]["name"] == "min_heldout_accuracy"

    monkeypatch.setattr(type(get_kind("labelfn")), "measure", lambda self, c: {"heldout_accuracy": 0.5})
    result = CliRunner().invoke(app, ["check", str(out), str(out), "--json"])
    assert result.exit_code == 1 and json.loads(result.output)["bars_met"] is False
    monkeypatch.setattr(type(get_kind("labelfn")), "measure", lambda self, c: {})
    [recorded] = recheck_bars(challenge)  # nothing re-measured: the key's record stands
    assert recorded.source == "recorded" and recorded.figure == challenge.key.metrics["heldout_accuracy"]


def test_a_key_forged_before_bars_still_verifies_byte_for_byte():
    """tests/fixtures/key-before-bars was forged by the code before bars (commit 963dc85) from the then SMALL_PAIRS
    recipe of tests/conftest.py: p = 23, abs(x - y) > 6, 800 steps, seed 3."""
    report = verify(OLD_KEY / "bundle", OLD_KEY / "key.json")
    assert report.ok, report.problems
    key = read_key(OLD_KEY / "key.json")
    assert key.quality is None and "quality" not in json.loads((OLD_KEY / "key.json").read_text())
    assert key.commitment() == read_manifest(OLD_KEY / "bundle").commitment
    assert recheck_bars(open_challenge(OLD_KEY / "bundle", OLD_KEY / "key.json")) == []
