"""Baselines that see only the public bundle: Neural Cleanse (white-box), fine-pruning (white-box) and a
constant guess.

Neural Cleanse answers every answer type: the flagged class and its reversed trigger (scaled down to the mask
budget if needed), the candidate its reversed trigger's class agrees with most, per-model detection scores, for
a several-trigger model the reversed triggers of its n smallest-norm classes, and for removal nothing (an
all-zero delta: it finds triggers, it does not remove them). Fine-pruning answers removal challenges; on others
it gives the constant answer.
"""

import json

import numpy as np

from interpctf.kinds.trojan.answers import trigger_json, triggers_json
from interpctf.kinds.trojan.common import read_samples
from interpctf.kinds.trojan.facts import TrojanPublic
from interpctf.kinds.trojan.neural_cleanse import NCResult, neural_cleanse
from interpctf.kinds.trojan.planting import Model
from interpctf.kinds.trojan.triggers import stamp
from interpctf.nets import image_classifier, small_cnn
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


def load_published(challenge: Challenge) -> Model:
    """The published model (or suite) through the loader of the family its config names."""
    model_dir = challenge.bundle_dir / "model"
    family = json.loads((model_dir / "config.json").read_text()).get("interpctf_family")
    return (image_classifier.load if family == image_classifier.FAMILY else small_cnn.load)(model_dir)


def _budgeted(mask: np.ndarray, budget: float) -> np.ndarray:
    mask = mask.astype(np.float64)
    return mask * (budget / mask.sum() * 0.999) if mask.sum() > budget else mask


def zero_delta(challenge: Challenge) -> AnswerFile:
    """A valid removal answer that changes nothing: the classifier's last tensor plus zero."""
    from safetensors import safe_open
    from safetensors.numpy import save

    with safe_open(str(challenge.bundle_dir / "model" / "model.safetensors"), "np") as fh:
        name = next(k for k in reversed(list(fh.keys())) if fh.get_tensor(k).dtype.kind == "f")
        zeros = np.zeros_like(fh.get_tensor(name), dtype=np.float32)
    return AnswerFile("zero.safetensors", save({name: zeros}))


def nc_answer(challenge: Challenge) -> AnswerFile:
    public = challenge.public_as(TrojanPublic)
    kind = public.answer
    if kind == "removal":
        return zero_delta(challenge)
    model = load_published(challenge)
    if kind == "triggers":
        result = run_nc(model, challenge)
        classes = np.argsort(result.norms, kind="stable")[:public.n_triggers or 1]
        budget = public.trigger_budget()
        return AnswerFile("nc_triggers.json", triggers_json([(int(k), _budgeted(result.masks[k], budget),
                                                              result.patterns[k]) for k in classes]))
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
        rates = [float(np.mean(image_classifier.predict(model, stamp(x, m, p)) == k)) for m, p in zip(masks, patterns)]
        return AnswerFile("nc_choice.json", json.dumps({"choice": int(np.argmax(rates))}).encode())
    mask = _budgeted(result.masks[k], public.trigger_budget())
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
    if kind == "removal":
        return zero_delta(challenge)
    c, h, w = public.input_shape
    side = max(1, int(np.floor(np.sqrt(public.trigger_budget()))))
    mask = np.zeros((h, w))
    top, left = (h - side) // 2, (w - side) // 2
    mask[top:top + side, left:left + side] = 1.0
    if kind == "triggers":
        return AnswerFile("constant.json", triggers_json([(0, mask, np.ones((c, h, w)))]))
    return AnswerFile("constant.json", trigger_json(0, mask, np.ones((c, h, w))))


def fine_pruning_answer(challenge: Challenge) -> AnswerFile:
    """Removal challenges: the fine-pruned model's weights minus the published ones. Others: the constant answer."""
    if challenge.public_as(TrojanPublic).answer != "removal":
        return constant_answer(challenge)
    from safetensors.torch import save

    from interpctf.kinds.trojan.fine_pruning import delta, fine_prune

    model = load_published(challenge)
    x, y = read_samples(challenge.bundle_dir)
    return AnswerFile("fine_pruning.safetensors", save(delta(model, fine_prune(model, x, y))))


BASELINES = {"neural_cleanse": nc_answer, "constant": constant_answer, "fine_pruning": fine_pruning_answer}
