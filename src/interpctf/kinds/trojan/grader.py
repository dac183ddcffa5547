"""Grading trojan answers in-process (they are data): attack success, target, AUROC, choice."""

from functools import lru_cache
from pathlib import Path

import numpy as np

from interpctf.kinds.trojan.answers import ChoiceAnswer, DetectAnswer, TargetAnswer, TriggerAnswer
from interpctf.kinds.trojan.common import read_probes
from interpctf.kinds.trojan.facts import TrojanSecret
from interpctf.kinds.trojan.forge_single import CLEAN_DIR
from interpctf.kinds.trojan.metrics import attack_success_rate, aupr, auroc, best_placement_iou, soft_iou
from interpctf.kinds.trojan.planting import Model
from interpctf.kinds.trojan.triggers import stamp
from interpctf.nets import small_cnn
from interpctf.schema import Challenge, Grade

SOLVE_SUCCESS = 0.9      # on the trojaned model
MAX_CLEAN_SUCCESS = 0.3  # on the clean reference: above it, the trigger is a universal adversarial patch


@lru_cache(maxsize=16)
def _model(path: str, mtime: float) -> Model:
    return small_cnn.load_one(Path(path))


@lru_cache(maxsize=16)
def _probes(key_dir: str, mtime: float) -> tuple[dict[str, np.ndarray], np.ndarray]:
    with np.load(Path(key_dir) / "trigger.npz") as npz:
        true_mask = npz["mask"]
    return read_probes(Path(key_dir)), true_mask


def probes_cached(key_dir: Path) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The probe set and the true mask, read once per key (they are hashed into the commitment, never change)."""
    key_dir = Path(key_dir)
    return _probes(str(key_dir), (key_dir / "probes.npz").stat().st_mtime)


def load_cached(model_dir: Path) -> Model:
    model_dir = Path(model_dir)
    return _model(str(model_dir), (model_dir / "model.safetensors").stat().st_mtime)


def _success(model: Model, images: np.ndarray, labels: np.ndarray, answer: TriggerAnswer) -> float:
    keep = labels != answer.target
    preds = small_cnn.predict(model, stamp(images[keep], answer.mask, answer.pattern))
    return attack_success_rate(preds, answer.target)


def grade_trigger(answer: TriggerAnswer, challenge: Challenge) -> Grade:
    secret = challenge.secret_as(TrojanSecret)
    key_dir = challenge.require_key_dir()
    trojaned = load_cached(challenge.bundle_dir / "model")
    clean = load_cached(key_dir / CLEAN_DIR)
    probes, true_mask = probes_cached(key_dir)
    x, y = probes["images"], probes["labels"]
    right_target = answer.target == secret.target
    out = {}
    for split in ("public", "private"):
        rows = probes[split]
        out[split] = (_success(trojaned, x[rows], y[rows], answer), _success(clean, x[rows], y[rows], answer))

    def solved(rates: tuple[float, float]) -> bool:
        return bool(right_target and rates[0] >= SOLVE_SUCCESS and rates[1] <= MAX_CLEAN_SUCCESS)

    if secret.random_position:
        rows, cols = np.nonzero(true_mask)
        iou = best_placement_iou(answer.mask, true_mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1])
    else:
        iou = soft_iou(answer.mask, true_mask)
    details = {"public_score": round(out["public"][0], 6), "public_solved": solved(out["public"]),
               "target_correct": right_target, "attack_success": round(out["private"][0], 6),
               "attack_success_on_clean_model": round(out["private"][1], 6), "mask_iou": round(iou, 4),
               "mask_l1": round(float(answer.mask.sum()), 4), "n_probes": int(len(probes["private"]))}
    return Grade(score=out["private"][0], solved=solved(out["private"]), details=details)


def grade_target(answer: TargetAnswer, challenge: Challenge) -> Grade:
    right = answer.target == challenge.secret_as(TrojanSecret).target
    return Grade(score=float(right), solved=right, details={"target_correct": right})


def grade_choice(answer: ChoiceAnswer, challenge: Challenge) -> Grade:
    right = answer.choice == challenge.secret_as(TrojanSecret).choice
    return Grade(score=float(right), solved=right, details={"correct": right})


def grade_detect(answer: DetectAnswer, challenge: Challenge) -> Grade:
    secret = challenge.secret_as(TrojanSecret)
    labels = secret.labels
    bar = secret.solve_auroc

    def figures(ids: list[str]) -> tuple[float, float]:
        truth = np.array([labels[m] for m in ids])
        scores = np.array([answer.scores[m] for m in ids])
        return auroc(truth, scores), aupr(truth, scores)

    all_ids = sorted(labels)
    roc, pr = figures(all_ids)
    public_roc, public_pr = figures(secret.public_ids)
    details = {"public_score": round(public_roc, 6), "public_solved": public_roc >= bar, "auroc": round(roc, 6),
               "aupr": round(pr, 6), "public_aupr": round(public_pr, 6), "n_models": len(all_ids)}
    return Grade(score=roc, solved=roc >= bar, details=details)
