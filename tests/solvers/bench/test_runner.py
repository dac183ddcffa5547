"""The benchmark runner: anchors at 0 and 1, failures recorded (crash, overrun), the CLI's --json schema."""

import json
import shutil

import pytest

from typer.testing import CliRunner

from interpctf.cli import app
from interpctf.solvers.bench.metrics import mean_normalized, normalize
from interpctf.solvers.bench.runner import run_bench
from interpctf.solvers.bench.schema import BenchReport
from interpctf.solvers.bench.suite import Suite, discover, load_suite
from interpctf.solvers.budget import SolverBudget


def test_normalization_is_pinned_by_the_anchors():
    assert normalize(0.6, 0.6, 1.0) == 0.0 and normalize(1.0, 0.6, 1.0) == 1.0
    assert normalize(0.8, 0.6, 1.0) == pytest.approx(0.5) and normalize(0.5, 0.6, 1.0) < 0
    assert normalize(0.9, 0.9, 0.9) is None  # a degenerate scale tells no solver apart
    assert mean_normalized([1.0, None, 0.5]) == 0.5  # a failed run counts as trivial


def test_reference_scores_one_and_trivial_zero(small_pairs):
    suite = load_suite(str(small_pairs.parent))
    report = run_bench(["reference", "trivial", "labelfn/blackbox"], suite, SolverBudget(seconds=120), executor="local")
    runs = {r.solver: r for r in report.results}
    assert runs["reference"].normalized == 1.0 and runs["reference"].raw_score == 1.0 and runs["reference"].solved
    assert runs["trivial"].normalized == 0.0 and 0.3 < runs["trivial"].raw_score < 0.8
    assert 0.0 < runs["labelfn/blackbox"].normalized < 1.0 and not runs["labelfn/blackbox"].solved
    assert report.challenges[0].reference_score == 1.0
    assert {s.solver: s.access for s in report.summary} == {"reference": "key", "trivial": "black-box",
                                                             "labelfn/blackbox": "black-box"}


def test_crash_and_overrun_are_recorded_failures(small_pairs, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(small_pairs, broken)
    (broken / "bundle" / "model" / "model.safetensors").write_bytes(b"not a model")
    challenges = discover(small_pairs.parent) + discover(broken)
    slow = SolverBudget(seconds=0.01)  # no solver loads a transformer that fast
    report = run_bench(["labelfn/blackbox"], Suite("mixed", challenges, None), slow, executor="inline")
    runs = {(r.solver, r.challenge, r.status) for r in report.results}
    assert ("labelfn/blackbox", "small", "timeout") in runs
    failure = next(r for r in report.results if r.status == "error")
    assert failure.normalized is None and "\n" not in failure.error
    assert report.summary[0].failures == 2 and report.summary[0].mean_normalized == 0.0


def test_bench_cli_json_schema(small_pairs, tmp_path):
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["bench", "reference", "trivial", "--suite", str(small_pairs.parent), "--json",
                                      "--executor", "inline", "--seconds", "120", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    report = BenchReport.model_validate(data)  # the schema, strictly (extra keys are refused)
    assert set(data) == {"suite", "executor", "budget", "challenges", "results", "summary"}
    assert set(data["results"][0]) == {"solver", "challenge", "status", "raw_score", "public_score", "solved",
                                       "normalized", "seconds", "error"}
    assert report.budget.seconds == 120 and [s.solver for s in report.summary] == ["reference", "trivial"]
    assert (out / "results.md").read_text().startswith("# Solver benchmark")
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert BenchReport.model_validate_json((out / "results.json").read_text()) == report


def test_bench_cli_errors_are_one_line(tmp_path):
    import subprocess
    import sys

    for args, needle in ((["bench", "nope", "--suite", "reference"], "unknown solver 'nope'"),
                         (["bench", "trivial", "--suite", str(tmp_path)], "holds no forged challenges"),
                         (["bench", "trivial", "--suite", "no-such-suite"], "no suite 'no-such-suite'")):
        proc = subprocess.run([sys.executable, "-c", "from interpctf.cli import main; main()", *args],
                              capture_output=True, text=True)
        assert proc.returncode == 2 and proc.stderr.startswith("error: ") and needle in proc.stderr
        assert proc.stderr.count("\n") == 1
