"""Baselines that see only the public bundle: Neural Cleanse (white-box) and a constant guess.

Neural Cleanse answers every answer type: the flagged class and its reversed trigger (scaled down to the mask
budget if needed), the candidate its reversed trigger's class agrees with most, and per-model detection scores.
"""

import json

import numpy as np

from interpctf.kinds.trojan.answers import trigger_json
from interpctf.kinds.trojan.common import read_samples
from interpctf.kinds.trojan.facts import TrojanPublic
from interpctf.kinds.trojan.neural_cleanse import NCResult, neural_cleanse
from interpctf.kinds.trojan.planting import Model
from interpctf.kinds.trojan.triggers import stamp
from interpctf.nets import small_cnn
from interpctf.schema import AnswerFile, Challenge

NC_SAMPLES_PER_CLASS = 5
NC_STEPS = 120


def _samples(challenge: Challenge) -> tuple[np.ndarray, np.ndarray]:
    x, y = read_samples(challenge.bundle_dir)
    keep = np.concatenate([np.flatnonzero(y == k)[:NC_SAMPLES_PER_CLASS] for k in np.unique(y)])
    return x[keep], y[keep]


def run_nc(model: Model, challenge: Challenge) -> NCResult:
    x, y = _samples(challenge)
    return neural_cleanse(model, x, y, challenge.public_as(TrojanPublic).num_classes, steps=NC_STEPS)


def nc_answer(challenge: Challenge) -> AnswerFile:
    public = challenge.public_as(TrojanPublic)
    kind = public.answer
    model = small_cnn.load(challenge.bundle_dir / "model")
    if kind == "detect":
        scores = {mid: run_nc(model[mid], challenge).probability() for mid in public.model_ids}
        return AnswerFile("nc_detect.json", json.dumps({"scores": scores}).encode())
    result = run_nc(model, challenge)
    k = result.flagged
    if kind == "target":
        return AnswerFile("nc_target.json", json.dumps({"target": k}).encode())
    if kind == "choice":
        with np.load(challenge.bundle_dir / "examples" / "candidates.npz") as npz:
            masks, patterns = npz["masks"], npz["patterns"]
        x, y = _samples(challenge)
        x = x[y != k]
        rates = [float(np.mean(small_cnn.predict(model, stamp(x, m, p)) == k)) for m, p in zip(masks, patterns)]
        return AnswerFile("nc_choice.json", json.dumps({"choice": int(np.argmax(rates))}).encode())
    mask = result.masks[k].astype(np.float64)
    budget = public.trigger_budget()
    if mask.sum() > budget:
        mask *= budget / mask.sum() * 0.999
    return AnswerFile("nc_trigger.json", trigger_json(k, mask, result.patterns[k]))


def constant_answer(challenge: Challenge) -> AnswerFile:
    """Class 0, a centred square at the full budget, 0.5 for every model, the first candidate."""
    public = challenge.public_as(TrojanPublic)
    kind = public.answer
    if kind == "detect":
        return AnswerFile("constant.json", json.dumps({"scores": {m: 0.5 for m in public.model_ids}}).encode())
    if kind == "target":
        return AnswerFile("constant.json", b'{"target": 0}')
    if kind == "choice":
        return AnswerFile("constant.json", b'{"choice": 0}')
    c, h, w = public.input_shape
    side = max(1, int(np.floor(np.sqrt(public.trigger_budget()))))
    mask = np.zeros((h, w))
    top, left = (h - side) // 2, (w - side) // 2
    mask[top:top + side, left:left + side] = 1.0
    return AnswerFile("constant.json", trigger_json(0, mask, np.ones((c, h, w))))


BASELINES = {"neural_cleanse": nc_answer, "constant": constant_answer}
