"""Grading a several-trigger model's answers: the triggers found (matched one-to-one to the planted ones) and
removal deltas (the attack success left for every planted trigger, and the clean accuracy kept).

Each answered trigger is graded as a single trigger is (attack success on the trojaned model toward its target,
within the mask budget, low on the clean twin); a pair (answer i, planted j) counts only when the targets agree.
The pairing maximises the summed scores (scipy's ``linear_sum_assignment``, solved pairs first), so one answer
never counts for two plants. Score = mean over the planted triggers; solved when every one is.
"""

from functools import lru_cache
from pathlib import Path

import numpy as np

from interpctf.kinds.trojan.answers import RemovalAnswer, TriggerAnswer, TriggersAnswer
from interpctf.kinds.trojan.common import read_probes
from interpctf.kinds.trojan.facts import TrojanSecret
from interpctf.kinds.trojan.forge_multi import TRIGGERS_FILE
from interpctf.kinds.trojan.forge_single import CLEAN_DIR
from interpctf.kinds.trojan.grader import MAX_CLEAN_SUCCESS, SOLVE_SUCCESS
from interpctf.kinds.trojan.planting import Model, apply_trigger
from interpctf.kinds.trojan.triggers import Trigger, stamp
from interpctf.nets import image_classifier
from interpctf.schema import Challenge, Grade

MAX_REMAINING_SUCCESS = 0.1  # removal: every planted trigger at most this
MAX_ACCURACY_LOSS = 0.02     # removal: clean accuracy within 2 points of the published model's


@lru_cache(maxsize=16)
def _model(path: str, mtime: float) -> Model:
    return image_classifier.load_one(Path(path))


def load_cached(model_dir: Path) -> Model:
    model_dir = Path(model_dir)
    return _model(str(model_dir), (model_dir / "model.safetensors").stat().st_mtime)


def planted(challenge: Challenge) -> list[tuple[Trigger, int]]:
    """The key's triggers with their targets, in the key's order."""
    secret = challenge.secret_as(TrojanSecret)
    with np.load(challenge.require_key_dir() / TRIGGERS_FILE) as npz:
        masks, patterns, targets = npz["masks"], npz["patterns"], npz["targets"]
    return [(Trigger(s.attack, masks[i], patterns[i], s.random_position), int(targets[i]))
            for i, s in enumerate(secret.triggers)]


def match(scores: np.ndarray, solved: np.ndarray) -> list[tuple[int, int]]:
    """(answer, planted) pairs maximising solved pairs, then summed scores; pure. Rows: answers."""
    from scipy.optimize import linear_sum_assignment

    if scores.size == 0:
        return []
    rows, cols = linear_sum_assignment(scores + 2.0 * solved, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols)]


def pair_figures(success: np.ndarray, success_clean: np.ndarray, answer_targets: list[int],
                 planted_targets: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Score and solved matrices (answers x planted) from each answer's attack success; pure."""
    same = np.array([[a == p for p in planted_targets] for a in answer_targets], dtype=bool)
    ok = (success >= SOLVE_SUCCESS) & (success_clean <= MAX_CLEAN_SUCCESS)
    return np.where(same, success[:, None], 0.0), same & ok[:, None]


def _success(model: Model, x: np.ndarray, y: np.ndarray, t: TriggerAnswer) -> float:
    keep = y != t.target
    preds = image_classifier.predict(model, stamp(x[keep], t.mask, t.pattern))
    return float(np.mean(preds == t.target)) if keep.any() else 0.0


def grade_triggers(answer: TriggersAnswer, challenge: Challenge) -> Grade:
    key_dir = challenge.require_key_dir()
    trojaned = load_cached(challenge.bundle_dir / "model")
    clean = load_cached(key_dir / CLEAN_DIR)
    plants = planted(challenge)
    probes = read_probes(key_dir)
    x, y = probes["images"], probes["labels"]
    out: dict[str, tuple[float, bool, list[tuple[int, int]]]] = {}
    for split in ("public", "private"):
        rows = probes[split]
        hit = np.array([_success(trojaned, x[rows], y[rows], t) for t in answer.triggers])
        hit_clean = np.array([_success(clean, x[rows], y[rows], t) for t in answer.triggers])
        scores, solved = pair_figures(hit, hit_clean, [t.target for t in answer.triggers], [g for _, g in plants])
        pairs = match(scores, solved)
        total = sum(scores[i, j] for i, j in pairs) / len(plants)
        n_solved = sum(bool(solved[i, j]) for i, j in pairs)
        out[split] = (float(total), n_solved == len(plants), pairs)
        if split == "private":
            private_hit, private_clean, private_solved = hit, hit_clean, solved
    score, is_solved, pairs = out["private"]
    details = {"public_score": round(out["public"][0], 6), "public_solved": out["public"][1],
               "n_planted": len(plants), "n_answered": len(answer.triggers),
               "triggers_found": sum(bool(private_solved[i, j]) for i, j in pairs),
               "attack_success": [round(float(v), 6) for v in private_hit],
               "attack_success_on_clean_model": [round(float(v), 6) for v in private_clean],
               "n_probes": int(len(probes["private"]))}
    return Grade(score=score, solved=is_solved, details=details)


def with_deltas(model: Model, deltas: dict[str, np.ndarray]) -> Model:
    """A copy of ``model`` with the deltas added to its tensors (names and shapes were checked at parsing)."""
    import copy

    import torch

    out = copy.deepcopy(model)
    state = out.state_dict()
    for name, delta in deltas.items():
        state[name] = state[name] + torch.from_numpy(delta).to(state[name].dtype)
    out.load_state_dict(state)
    return out.eval()


def removal_figures(model: Model, x: np.ndarray, y: np.ndarray,
                    plants: list[tuple[Trigger, int]]) -> tuple[list[float], float]:
    """Attack success of every planted trigger (stamped as planted) and clean accuracy."""
    rates = []
    for trig, goal in plants:
        keep = y != goal
        stamped = apply_trigger(x[keep], trig, np.random.default_rng(0))
        rates.append(float(np.mean(image_classifier.predict(model, stamped) == goal)) if keep.any() else 0.0)
    accuracy = float(np.mean(image_classifier.predict(model, x) == y)) if len(x) else 0.0
    return rates, accuracy


def removal_grade(rates: list[float], accuracy: float, accuracy_before: float) -> tuple[float, bool]:
    """Score = mean share of triggered inputs no longer sent to the target, scaled down by any accuracy lost
    past the allowance; solved at every rate <= 0.1 with accuracy within 2 points. Pure."""
    kept = accuracy >= accuracy_before - MAX_ACCURACY_LOSS - 1e-9
    score = float(np.mean([1.0 - r for r in rates]))
    if not kept:
        score *= max(0.0, accuracy) / max(accuracy_before, 1e-9)
    return score, bool(kept and max(rates) <= MAX_REMAINING_SUCCESS)


def grade_removal(answer: RemovalAnswer, challenge: Challenge) -> Grade:
    key_dir = challenge.require_key_dir()
    trojaned = load_cached(challenge.bundle_dir / "model")
    repaired = with_deltas(trojaned, answer.deltas)
    plants = planted(challenge)
    probes = read_probes(key_dir)
    x, y = probes["images"], probes["labels"]
    out = {}
    for split in ("public", "private"):
        rows = probes[split]
        _, before = removal_figures(trojaned, x[rows], y[rows], [])
        rates, after = removal_figures(repaired, x[rows], y[rows], plants)
        out[split] = (*removal_grade(rates, after, before), rates, after, before)
    score, solved, rates, after, before = out["private"]
    details = {"public_score": round(out["public"][0], 6), "public_solved": out["public"][1],
               "remaining_attack_success": [round(r, 6) for r in rates], "clean_accuracy": round(after, 6),
               "clean_accuracy_before": round(before, 6), "n_tensors_changed": len(answer.deltas),
               "n_probes": int(len(probes["private"]))}
    return Grade(score=score, solved=solved, details=details)


def measure_multi(challenge: Challenge) -> dict[str, float]:
    """The bars' figures re-measured from the published model, the key's triggers and probes, and the twin."""
    key_dir = challenge.require_key_dir()
    probes = read_probes(key_dir)
    x, y = probes["images"], probes["labels"]
    rates, accuracy = removal_figures(image_classifier.load_one(challenge.bundle_dir / "model"), x, y,
                                      planted(challenge))
    _, twin = removal_figures(image_classifier.load_one(key_dir / CLEAN_DIR), x, y, [])
    return {"attack_success": min(rates), "accuracy_gap": twin - accuracy, "clean_accuracy": accuracy}
