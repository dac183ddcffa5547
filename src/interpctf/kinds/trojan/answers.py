"""Trojan answers (data, not code): parsed strictly, each fault refused with a one-line message.

- ``trigger``: ``{"target": k, "mask": HxW, "pattern": CxHxW}`` as JSON, or an ``.npz`` with those three arrays
  (a one-channel pattern may also be HxW). Mask and pattern values lie in [0, 1]; the mask's L1 norm must stay
  within the challenge's ``mask_budget``.
- ``target``: ``{"target": k}``.
- ``detect``: ``{"scores": {"m00": p, ...}}``, a probability in [0, 1] for every model id of the suite.
- ``choice``: ``{"choice": i}``, the index of one candidate trigger.
- ``triggers`` (a several-trigger model): ``{"triggers": [{"target", "mask", "pattern"}, ...]}`` with 1 to
  ``n_triggers`` entries in any order, or an ``.npz`` with ``targets`` (K), ``masks`` (K, H, W), ``patterns``
  (K, C, H, W); each mask within ``mask_budget``.
- ``removal``: a ``.safetensors`` file of weight deltas keyed by the published model's tensor names; the grader
  adds them to the model and measures what attack success remains.
"""

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import ConfigDict, Field

from interpctf.errors import BadAnswer
from interpctf.intake.arrays import ArraySpec, read_npz
from interpctf.kinds.base import Answer
from interpctf.schema import AnswerFile

MAX_ANSWER_BYTES = 5 << 20
MAX_JSON_BYTES = 64 << 10  # a JSON answer without arrays
JSON_BYTES_PER_NUMBER = 32  # room for "0.12345678901234567, " per expected array element


class TriggerAnswer(Answer):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    format: Literal["trigger"] = "trigger"
    target: int
    mask: np.ndarray      # (H, W) float32
    pattern: np.ndarray   # (C, H, W) float32


class TargetAnswer(Answer):
    format: Literal["target"] = "target"
    target: int


class DetectAnswer(Answer):
    format: Literal["detect"] = "detect"
    scores: dict[str, float]


class ChoiceAnswer(Answer):
    format: Literal["choice"] = "choice"
    choice: int


class TriggersAnswer(Answer):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    format: Literal["triggers"] = "triggers"
    triggers: list[TriggerAnswer]


class RemovalAnswer(Answer):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    format: Literal["removal"] = "removal"
    deltas: dict[str, np.ndarray]


TrojanAnswer = Annotated[TriggerAnswer | TargetAnswer | DetectAnswer | ChoiceAnswer | TriggersAnswer | RemovalAnswer,
                         Field(discriminator="format")]
MAX_REMOVAL_BYTES = 256 << 20  # a float32 ResNet-34 is 87 MB


def _load(answer: AnswerFile, npz: dict[str, ArraySpec] | None = None) -> dict[str, Any]:
    """The answer's fields; an ``.npz`` is read only when ``npz`` says which arrays (and shapes) it may hold.
    JSON is capped at what the expected numbers need, so that parsing it cannot take more memory than they do."""
    name = answer.filename or "answer"
    if len(answer.data) > MAX_ANSWER_BYTES:
        raise BadAnswer(f"{name} is {len(answer.data)} bytes; answers are at most {MAX_ANSWER_BYTES} bytes")
    if npz is not None and (name.endswith(".npz") or answer.data[:2] == b"PK"):
        return read_npz(answer.data, npz, name)
    numbers = sum(spec.max_nbytes() // 8 for spec in npz.values()) if npz else 0
    json_cap = min(MAX_ANSWER_BYTES, MAX_JSON_BYTES + JSON_BYTES_PER_NUMBER * numbers)
    if len(answer.data) > json_cap:
        raise BadAnswer(f"{name} is {len(answer.data)} bytes of JSON; this answer needs at most {json_cap} "
                        f"(round values to a few decimals, or send an .npz)")
    try:
        data = json.loads(answer.data.decode("utf-8"), parse_constant=lambda c: float("nan"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        hint = " or .npz" if npz is not None else ""
        raise BadAnswer(f"{name} is not valid JSON{hint}; see examples/ for the answer format") from None
    if not isinstance(data, dict):
        raise BadAnswer(f"{name} must hold a JSON object, e.g. {{\"target\": 3, ...}}")
    return data


def _int_field(data: dict, field: str, low: int, high: int) -> int:
    if field not in data:
        raise BadAnswer(f"the answer has no '{field}' field")
    value = data[field]
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise BadAnswer(f"'{field}' must be an integer, not {type(value).__name__}")
    if not low <= int(value) <= high:
        raise BadAnswer(f"'{field}' must be between {low} and {high}, not {int(value)}")
    return int(value)


def _array(data: dict, field: str, shapes: list[tuple[int, ...]]) -> np.ndarray:
    if field not in data:
        raise BadAnswer(f"the trigger answer has no '{field}' field")
    try:
        arr = np.asarray(data[field], dtype=np.float64)
    except (ValueError, TypeError):
        raise BadAnswer(f"'{field}' must be a rectangular array of numbers") from None
    if arr.shape not in shapes:
        want = " or ".join("x".join(map(str, s)) for s in shapes)
        raise BadAnswer(f"'{field}' has shape {'x'.join(map(str, arr.shape)) or 'scalar'}; expected {want}")
    if not np.isfinite(arr).all():
        raise BadAnswer(f"'{field}' contains NaN or infinite values")
    if arr.min() < 0.0 or arr.max() > 1.0:
        raise BadAnswer(f"'{field}' values must lie in [0, 1] (found {arr.min():.3g} .. {arr.max():.3g})")
    return arr.astype(np.float32)


def parse_trigger(answer: AnswerFile, shape: tuple[int, int, int], num_classes: int, budget: float) -> TriggerAnswer:
    c, h, w = shape
    pattern_shapes = ((c, h, w),) + (((h, w),) if c == 1 else ())
    data = _load(answer, npz={"target": ArraySpec(((),), "iu"), "mask": ArraySpec(((h, w),)),
                              "pattern": ArraySpec(pattern_shapes)})
    target = _int_field(data, "target", 0, num_classes - 1)
    mask = _array(data, "mask", [(h, w)])
    pattern = _array(data, "pattern", list(pattern_shapes))
    l1 = float(mask.sum())
    if l1 > budget + 1e-6:
        raise BadAnswer(f"the mask's L1 norm is {l1:.2f}, over this challenge's budget of {budget:.2f}; "
                        f"shrink the mask")
    return TriggerAnswer(target=target, mask=mask, pattern=pattern.reshape(c, h, w))


def _one_trigger(data: dict, shape: tuple[int, int, int], num_classes: int, budget: float,
                 where: str) -> TriggerAnswer:
    c, h, w = shape
    pattern_shapes: list[tuple[int, ...]] = [(c, h, w)] + ([(h, w)] if c == 1 else [])
    try:
        target = _int_field(data, "target", 0, num_classes - 1)
        mask = _array(data, "mask", [(h, w)])
        pattern = _array(data, "pattern", pattern_shapes)
    except BadAnswer as exc:
        raise BadAnswer(f"{where}: {exc}") from None
    l1 = float(mask.sum())
    if l1 > budget + 1e-6:
        raise BadAnswer(f"{where}: the mask's L1 norm is {l1:.2f}, over this challenge's budget of {budget:.2f}")
    return TriggerAnswer(target=target, mask=mask, pattern=pattern.reshape(c, h, w))


def parse_triggers(answer: AnswerFile, shape: tuple[int, int, int], num_classes: int, budget: float,
                   n_triggers: int) -> TriggersAnswer:
    c, h, w = shape
    ks = range(1, n_triggers + 1)
    data = _load(answer, npz={"targets": ArraySpec(tuple((k,) for k in ks), "iu"),
                              "masks": ArraySpec(tuple((k, h, w) for k in ks)),
                              "patterns": ArraySpec(tuple((k, c, h, w) for k in ks))})
    if "targets" in data:  # the npz form: one row per trigger
        if not {"masks", "patterns"} <= set(data) or not len(data["targets"]) == len(data["masks"]) \
                == len(data["patterns"]):
            raise BadAnswer("an .npz triggers answer holds targets (K), masks (K, H, W) and patterns (K, C, H, W)")
        items: Any = [{"target": t, "mask": m, "pattern": p}
                 for t, m, p in zip(data["targets"], data["masks"], data["patterns"])]
    else:
        items = data.get("triggers")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise BadAnswer("a triggers answer is {\"triggers\": [{\"target\": k, \"mask\": ..., "
                            "\"pattern\": ...}, ...]}")
    if not 1 <= len(items) <= n_triggers:
        raise BadAnswer(f"'triggers' lists {len(items)} triggers; this model hides {n_triggers} (send 1 to "
                        f"{n_triggers})")
    return TriggersAnswer(triggers=[_one_trigger(item, shape, num_classes, budget, f"triggers[{i}]")
                                    for i, item in enumerate(items)])


def parse_removal(answer: AnswerFile, model_dir: Path) -> RemovalAnswer:
    """Deltas for float tensors of the published model only (batch-norm counters are integers, not weights)."""
    from interpctf.errors import BadBundle
    from interpctf.intake.arrays import read_safetensors_header
    from interpctf.intake.deltas import read_deltas

    path = Path(model_dir) / "model.safetensors"
    with open(path, "rb") as fh:
        header = read_safetensors_header(fh, path.stat().st_size, str(path), error=BadBundle)
    shapes = {name: entry.shape for name, entry in header.items()}
    floats = {name for name, entry in header.items() if entry.dtype.startswith(("F", "BF"))}
    return RemovalAnswer(deltas=read_deltas(answer.data, shapes, "removal answer", MAX_REMOVAL_BYTES, floats))


def parse_target(answer: AnswerFile, num_classes: int) -> TargetAnswer:
    return TargetAnswer(target=_int_field(_load(answer), "target", 0, num_classes - 1))


def parse_detect(answer: AnswerFile, model_ids: list[str]) -> DetectAnswer:
    data = _load(answer)
    scores = data.get("scores")
    if not isinstance(scores, dict):
        raise BadAnswer("a detect answer is {\"scores\": {\"m00\": 0.9, ...}} with one probability per model id")
    unknown = sorted(set(scores) - set(model_ids))
    if unknown:
        raise BadAnswer(f"unknown model id {unknown[0]!r}; this suite's ids are {model_ids[0]} .. {model_ids[-1]}")
    missing = [m for m in model_ids if m not in scores]
    if missing:
        raise BadAnswer(f"no score for model {missing[0]!r} ({len(missing)} missing); score every model")
    out = {}
    for mid in model_ids:
        value = scores[mid]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadAnswer(f"the score for {mid} must be a number, not {type(value).__name__}")
        if not math.isfinite(value) or not 0.0 <= value <= 1.0:
            raise BadAnswer(f"the score for {mid} must be a probability in [0, 1], not {value}")
        out[mid] = float(value)
    return DetectAnswer(scores=out)


def parse_choice(answer: AnswerFile, n_choices: int) -> ChoiceAnswer:
    return ChoiceAnswer(choice=_int_field(_load(answer), "choice", 0, n_choices - 1))


def triggers_json(triggers: list[tuple[int, np.ndarray, np.ndarray]]) -> bytes:
    """A triggers answer as JSON bytes: (target, mask, pattern) per trigger, values rounded to 4 decimals."""
    return json.dumps({"triggers": [json.loads(trigger_json(t, m, p)) for t, m, p in triggers]}).encode()


def trigger_json(target: int, mask: np.ndarray, pattern: np.ndarray) -> bytes:
    """A trigger answer as JSON bytes (values rounded to 4 decimals)."""
    return json.dumps({"target": int(target), "mask": np.round(mask.astype(np.float64), 4).tolist(),
                       "pattern": np.round(pattern.astype(np.float64), 4).tolist()}).encode()
