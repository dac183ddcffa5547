"""The spread over seeds of the figures that tests assert about trained models and learned edits.

A test about a trained model asserts what the forge guarantees, or a property that held over at least five
seeds during development, with the spread quoted in its docstring. This script is that measurement: each
property runs the test's own set-up with seeds 0..N-1 and prints every seed's figures, then per figure the
minimum and maximum next to the test's bar and the margin (worst seed minus bar, signed so that positive means
the bar held).

Run: nice .venv/bin/python benchmarks/seed_spread.py [--seeds 5] [PROPERTY ...]   (no property: all)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Callable

# property -> (test that asserts it, {figure: (">=" or "<=", bar)}, seed -> figures)
Property = tuple[str, dict[str, tuple[str, float]], Callable[[int], dict[str, float]]]


def _world_model():
    from interpctf.nets.tiny_gpt_reference import reference_world_model
    return reference_world_model()


def _stats(wm) -> Path:
    """The key statistics cached next to the world model (computed once; they do not depend on the edit)."""
    from interpctf.nets.tiny_gpt_reference import stats_dir
    return stats_dir(wm.path)


def rome_one_edit(seed: int) -> dict[str, float]:
    """tests/editing/test_editing_rome.py: one ROME edit, drawn with ``seed``."""
    from interpctf.editing import apply_edits, edit_metrics, random_edits
    from interpctf.editing.targets import rewrite_prompt
    from interpctf.nets.tiny_gpt_eval import last_token_logits

    wm = _world_model()
    edit = random_edits(wm.world, 1, seed=seed)[0]
    model = apply_edits(wm.model, wm.tokenizer, wm.world, [edit], "rome", _stats(wm))
    m = edit_metrics(wm.model, model, wm.world, [edit], recall_limit=1500)

    def argmax(prompts):
        return wm.tokenizer.convert_ids_to_tokens(last_token_logits(model, wm.tokenizer, prompts).argmax(-1).tolist())

    old = wm.world.object_of(edit.subject, edit.relation)
    neighbours = wm.world.neighbors(edit.subject, edit.relation)
    kept = sum(o == old for o in argmax([wm.world.prompt(s, edit.relation, 0) for s in neighbours]))
    para = wm.world.prompts(edit.subject, edit.relation, "paraphrase")
    return {"rewrite_is_new_object": float(argmax([rewrite_prompt(wm.world, edit)]) == [edit.new_object]),
            "paraphrases_missed": float(len(para) - sum(o == edit.new_object for o in argmax(para))),
            "neighbours_kept_share": kept / max(len(neighbours), 1),
            "efficacy": m["efficacy"], "efficacy_magnitude": m["efficacy_magnitude"],
            "neighborhood": m["neighborhood"], "recall_drop": m["recall_train_before"] - m["recall_train_after"],
            "entropy_change": abs(m["entropy_after"] - m["entropy_before"])}


def memit_five_edits(seed: int) -> dict[str, float]:
    """tests/editing/test_editing_memit.py: five MEMIT edits at once, drawn with ``seed``."""
    from interpctf.editing import apply_edits, edit_metrics, random_edits

    wm = _world_model()
    edits = random_edits(wm.world, 5, seed=seed)
    model = apply_edits(wm.model, wm.tokenizer, wm.world, edits, "memit", _stats(wm))
    m = edit_metrics(wm.model, model, wm.world, edits, recall_limit=1500)
    return {"efficacy": m["efficacy"], "neighborhood": m["neighborhood"],
            "recall_drop": m["recall_train_before"] - m["recall_train_after"]}


def _lab(task: str, config: dict, seed: int, names: tuple[str, ...], prefix: str = "") -> dict[str, float]:
    from interpctf.lab import run

    result = run(task, {**config, "seed": seed}, record=False, threads=1)
    return {prefix + n: float(result.metrics[n]) for n in names}


def lab_topk_toy(seed: int) -> dict[str, float]:
    """tests/lab/saes/test_lab_architectures.py::test_topk_learns_the_toy_features."""
    from interpctf.lab.tasks.toy import ToyTask

    ToyTask.budget = ToyTask.budget.model_copy(update={"max_seconds": 1e9})  # as the test: learning, not the clock
    return _lab("sae-toy", {"architecture": "topk", "k": 7, "steps": 1000}, seed, ("mmcs",))


def lab_digits_short(seed: int) -> dict[str, float]:
    """tests/lab/tasks/test_lab_digits.py::test_short_run_metrics_and_transcoder."""
    out = _lab("sae-digits", {"steps": 300}, seed, ("l0", "ce_loss_recovered", "sparse_probe_accuracy", "class_purity"))
    out.update(_lab("sae-digits", {"steps": 300, "transcoder": True}, seed,
                    ("explained_variance", "ce_loss_recovered"), prefix="transcoder_"))
    return out


def lab_lm_short(seed: int) -> dict[str, float]:
    """tests/lab/tasks/test_sae_lm.py: the short run and the transcoder."""
    cfg = {"width": 256, "k": 8, "steps": 200, "batch_size": 512}
    out = _lab("sae-lm", cfg, seed, ("ce_loss_recovered", "kl_score", "explained_variance", "relation_purity",
                                     "entity_purity"))
    out.update(_lab("sae-lm", {**cfg, "transcoder": True}, seed, ("explained_variance", "ce_loss_recovered"),
                    prefix="transcoder_"))
    return out


def trojan_patch_forge(seed: int) -> dict[str, float]:
    """tests/kinds/trojan/test_patch_challenge.py: recipes/trojan-patch.yaml forged with ``seed`` (no baselines)."""
    import numpy as np
    import torch
    import yaml

    import interpctf
    from interpctf.bundle import read_key
    from interpctf.forge import forge
    from interpctf.recipe import parse_recipe
    from interpctf.reference import recipe_path

    data = {**yaml.safe_load(recipe_path("trojan-patch").read_text()), "seed": seed}
    with tempfile.TemporaryDirectory() as tmp:
        out = forge(parse_recipe(data, "trojan-patch"), Path(tmp) / "out", "trojan-patch", run_baselines=False)[0]
        m = read_key(out / "key.json").metrics
        model = interpctf.load(out / "bundle")
        with np.load(out / "bundle" / "examples" / "clean_samples.npz") as npz:
            x, y = npz["images"], npz["labels"]
        with torch.no_grad():
            samples_acc = float((model(torch.from_numpy(x)).argmax(-1).numpy() == y).mean())
    return {"clean_reference_accuracy": m["clean_reference_accuracy"], "accuracy_gap": m["accuracy_gap"],
            "attack_success": m["attack_success"], "attack_success_on_clean": m["attack_success_on_clean"],
            "clean_samples_accuracy": samples_acc}


def small_pairs(seed: int) -> dict[str, float]:
    """tests/conftest.py's SMALL_PAIRS (p = 23, |x - y| > 6), as test_calibration.py, test_rulesearch.py and
    tests/solvers/bench/test_runner.py use it: the model's agreement with the rule, and the rule search."""
    import sys

    from interpctf.bundle import open_challenge
    from interpctf.forge import forge
    from interpctf.grading import grade_file
    from interpctf.recipe import parse_recipe
    from interpctf.solvers.budget import SolverBudget
    from interpctf.solvers.registry import get_solver

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import SMALL_PAIRS

    with tempfile.TemporaryDirectory() as tmp:
        out = forge(parse_recipe({**SMALL_PAIRS, "seed": seed}), Path(tmp) / "out", "small", run_baselines=False)[0]
        challenge = open_challenge(out / "bundle", out / "key.json")
        reference = grade_file(None, challenge.key.reference_answer.file(), challenge)
        found = grade_file(None, get_solver("labelfn/rulesearch").run(out / "bundle", SolverBudget()), challenge)
    return {"model_agreement_with_secret": reference.details["model_agreement_with_secret"],
            "rulesearch_score": found.score, "rulesearch_solved": float(found.solved)}


PROPERTIES: dict[str, Property] = {
    "small-pairs": ("tests/test_calibration.py, tests/solvers/test_rulesearch.py, tests/solvers/bench/test_runner.py",
                    {"model_agreement_with_secret": ("<=", 0.9999), "rulesearch_score": (">=", 1.0),
                     "rulesearch_solved": (">=", 1.0)}, small_pairs),
    "trojan-patch-forge": ("tests/kinds/trojan/test_patch_challenge.py",
                           {"clean_reference_accuracy": (">=", 0.95), "accuracy_gap": ("<=", 0.02),
                            "attack_success": (">=", 0.97), "attack_success_on_clean": ("<=", 0.3),
                            "clean_samples_accuracy": (">=", 0.95)}, trojan_patch_forge),
    "rome-one-edit": ("tests/editing/test_editing_rome.py",
                      {"rewrite_is_new_object": (">=", 1.0), "paraphrases_missed": ("<=", 1.0),
                       "neighbours_kept_share": (">=", 0.9), "efficacy": (">=", 1.0),
                       "efficacy_magnitude": (">=", 0.5), "neighborhood": (">=", 0.9), "recall_drop": ("<=", 0.02),
                       "entropy_change": ("<=", 0.5)}, rome_one_edit),
    "memit-five-edits": ("tests/editing/test_editing_memit.py",
                         {"efficacy": (">=", 0.8), "neighborhood": (">=", 0.8), "recall_drop": ("<=", 0.03)},
                         memit_five_edits),
    "lab-topk-toy": ("tests/lab/saes/test_lab_architectures.py", {"mmcs": (">=", 0.9)}, lab_topk_toy),
    "lab-digits-short": ("tests/lab/tasks/test_lab_digits.py",
                         {"l0": ("<=", 3.0), "ce_loss_recovered": (">=", 0.5), "sparse_probe_accuracy": (">=", 0.1),
                          "class_purity": (">=", 0.1), "transcoder_explained_variance": (">=", 0.3),
                          "transcoder_ce_loss_recovered": (">=", 0.3)}, lab_digits_short),
    "lab-lm-short": ("tests/lab/tasks/test_sae_lm.py",
                     {"ce_loss_recovered": (">=", 0.9), "kl_score": (">=", 0.9), "explained_variance": (">=", 0.9),
                      "relation_purity": (">=", 0.1), "entity_purity": (">=", 0.0),
                      "transcoder_explained_variance": (">=", 0.9), "transcoder_ce_loss_recovered": (">=", 0.8)},
                     lab_lm_short),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("properties", nargs="*", help=f"any of: {', '.join(PROPERTIES)}")
    args = parser.parse_args()
    unknown = sorted(set(args.properties) - set(PROPERTIES))
    if unknown:
        parser.error(f"unknown property {unknown[0]!r}; choose from {', '.join(PROPERTIES)}")
    for name in args.properties or PROPERTIES:
        test, bars, measure = PROPERTIES[name]
        rows = []
        for seed in range(args.seeds):
            start = time.perf_counter()
            rows.append(measure(seed))
            print(f"{name} seed {seed} ({time.perf_counter() - start:.0f} s): "
                  + ", ".join(f"{k} {v:.4f}" for k, v in rows[-1].items()), flush=True)
        print(f"{name} over {args.seeds} seeds ({test}):")
        for figure, (op, bar) in bars.items():
            values = [r[figure] for r in rows]
            worst = min(values) if op == ">=" else max(values)
            margin = worst - bar if op == ">=" else bar - worst
            print(f"  {figure:<32} min {min(values):.4f} max {max(values):.4f}  bar {op} {bar}  "
                  f"margin {margin:+.4f}{'' if margin >= 0 else '  BAR MISSED'}", flush=True)


if __name__ == "__main__":
    main()
