"""Calibration of reference challenges over several seeds: which baselines and solvers solve each, and how far they
get.

These figures are statistical and depend on the machine (another processor trains and edits differently), so
tests never assert them; this script measures and prints them. Example: how many of the three MEMIT edits of
``edit-memit-vocab`` the white-box ``layer_anomaly`` baseline finds (2 of 3 where the recipe was written, none on
another machine).

Every score is also printed normalized between the challenge's trivial answer (0) and its key's reference answer
(1), both graded in the same run on the same forged challenge.

Run: nice .venv/bin/python benchmarks/bench_calibration.py [--seeds 5] [--recipes edit-rome-kb edit-memit-vocab]
(any reference recipe works, e.g. ``--recipes trojan-patch`` for how often Neural Cleanse recovers the trigger).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

from interpctf.bundle import open_challenge
from interpctf.forge import forge
from interpctf.grading import grade_file
from interpctf.recipe import parse_recipe
from interpctf.reference import recipe_path
from interpctf.solvers.anchors import trivial
from interpctf.solvers.bench.metrics import normalize
from interpctf.solvers.budget import SolverBudget


def calibrate_seed(name: str, seed: int, where: Path) -> tuple[dict, float, float, float]:
    """Forge ``name`` with ``seed`` and calibration; return (runs, trivial score, reference score, seconds)."""
    data = yaml.safe_load(recipe_path(name).read_text())
    data["seed"] = seed
    start = time.perf_counter()
    out = forge(parse_recipe(data, name), where / f"{name}-{seed}", name, calibrate=True)[0]
    seconds = time.perf_counter() - start
    challenge = open_challenge(out / "bundle", out / "key.json")
    floor = grade_file(None, trivial(out / "bundle", SolverBudget(seconds=60)), challenge).public_score
    top = grade_file(None, challenge.key.reference_answer.file(), challenge).public_score
    return challenge.manifest.calibration.runs, floor, top, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5, help="forges per recipe (seeds: the recipe's, +1, +2, ...)")
    parser.add_argument("--recipes", nargs="+", default=["edit-rome-kb", "edit-memit-vocab"])
    args = parser.parse_args()
    for name in args.recipes:
        base = int(yaml.safe_load(recipe_path(name).read_text()).get("seed", 0))
        scores: dict[str, list[float]] = defaultdict(list)
        solved: dict[str, int] = defaultdict(int)
        access: dict[str, str] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for seed in range(base, base + args.seeds):
                runs, floor, top, seconds = calibrate_seed(name, seed, Path(tmp))
                shown = []
                for solver, run in sorted(runs.items()):
                    scores[solver].append(run.score)
                    solved[solver] += run.solved
                    access[solver] = run.access
                    norm = normalize(run.score, floor, top)
                    shown.append(f"{solver} {run.score:.3f}" + (" solved" if run.solved else "")
                                 + (f" (norm {norm:.2f})" if norm is not None else "")
                                 + (f" error: {run.error}" if run.error else ""))
                print(f"{name} seed {seed}: forged+calibrated in {seconds:.0f} s; trivial {floor:.3f}, "
                      f"reference {top:.3f}; " + "; ".join(shown), flush=True)
        print(f"{name} over {args.seeds} seeds:")
        for solver, values in sorted(scores.items()):
            print(f"  {solver:<22} {access[solver]:<9} solved {solved[solver]}/{len(values)}  score mean "
                  f"{statistics.fmean(values):.3f} min {min(values):.3f} max {max(values):.3f}  "
                  f"0 < score < 1 in {sum(0 < v < 1 for v in values)}/{len(values)}")


if __name__ == "__main__":
    main()
