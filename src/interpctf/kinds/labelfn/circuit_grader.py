"""Grading a labelfn circuit answer: behaviour against the secret rule, causal faithfulness against the model.

Behaviour is the program answer's grade of ``label(x, y, v)`` with ``v`` the identity (the same probes, the same
withheld messages). Faithfulness is interchange intervention accuracy per variable: for ``N_PAIRS`` random
base/source pairs of the domain, the claimed site is patched from the source run into the base run
(:mod:`interpctf.circuits.patching`) and the pair counts when the model's label becomes what the program gives
on the base with that variable's value taken from the source run. The program's predictions come from one
sandbox run over every variable's pairs. The pairs are drawn from the challenge's commitment, so every grader
of one challenge draws the same ones and nothing secret goes into them.
"""

import json
from typing import Any

import numpy as np
import torch

from interpctf.circuits.patching import Tally, interchange
from interpctf.kinds.labelfn.answer import ProgramAnswer
from interpctf.kinds.labelfn.circuit import CircuitAnswer, label_of, site_patch
from interpctf.kinds.labelfn.domains import DOMAINS
from interpctf.kinds.labelfn.facts import LabelFnPublic
from interpctf.kinds.labelfn.grader import grade_program
from interpctf.nets.threads import single_thread
from interpctf.schema import Challenge, Grade

N_PAIRS = 2000
# A trained model is right on ~97% of pairs, and an interchange at a faithful site is right where the model is
# (patching x's embedding is running the model on the source's x): 0.95 asks for that, not for exactness.
FAITHFUL_BAR = 0.95

SHIM = '''

_interpctf_hooked_label = label


def label(x, y):
    return _interpctf_hooked_label(x, y, lambda name, value: value)
'''

WRAPPER = '''

_ICTF_NAMES = {names!r}


def _interpctf_iia(var, bx, by, sx, sy):
    seen = {{}}

    def record(name, value):
        seen[name] = value
        return value

    label(sx, sy, record)
    target = _ICTF_NAMES[var]
    if target not in seen:
        raise KeyError(f"the program never calls v({{target!r}}, ...)")
    return label(bx, by, lambda name, value: seen[target] if name == target else value)
'''


def config_of(challenge: Challenge) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((challenge.bundle_dir / "model" / "config.json").read_text())
    return data


def interchange_pairs(challenge: Challenge, p: int, n: int = N_PAIRS) -> tuple[np.ndarray, np.ndarray]:
    """Base and source pairs [n, 2], the same for every grader of the challenge."""
    rng = np.random.default_rng(int(challenge.manifest.commitment[:16], 16))
    return rng.integers(p, size=(n, 2)), rng.integers(p, size=(n, 2))


def predictions(answer: CircuitAnswer, base: np.ndarray, source: np.ndarray) -> tuple[np.ndarray, Any]:
    """The program's label per (variable, pair) under intervention, [V, n] (-1: it failed or gave no 0/1)."""
    from interpctf.sandbox import Limits, map_function  # imported late: the sandbox starts processes

    names = list(answer.variables)
    rows = np.concatenate([np.concatenate([np.full((len(base), 1), i), base, source], 1) for i in range(len(names))])
    wall = min(600.0, 30.0 + len(rows) / 5000)
    run = map_function(answer.program + WRAPPER.format(names=names), "_interpctf_iia", rows, unpack=True,
                       limits=Limits(cpu_seconds=wall, wall_seconds=wall))
    if run.failure:
        return np.full((len(names), len(base)), -1), run
    ok = (run.status == 0) & np.isin(run.values, (0, 1))
    return np.where(ok, run.values, -1).reshape(len(names), len(base)), run


@single_thread()
def iia(model: Any, answer: CircuitAnswer, base: np.ndarray, source: np.ndarray,
        p: int) -> tuple[dict[str, dict[str, Any]], Any]:
    from interpctf.nets.pair_transformer import sequences

    want, run = predictions(answer, base, source)
    base_ids, source_ids = sequences(base, p), sequences(source, p)
    with torch.inference_mode():
        plain = label_of(model, base_ids).numpy()
    out: dict[str, dict[str, Any]] = {}
    for i, (name, claim) in enumerate(answer.variables.items()):
        logits = interchange(lambda ids: model(input_ids=ids).logits[:, -1, :2], base_ids, source_ids,
                             site_patch(model, claim))
        tally = Tally()
        tally.add(logits.argmax(-1).numpy(), want[i], plain)
        out[name] = tally.report()
    return out, run


def grade_circuit(answer: CircuitAnswer, challenge: Challenge) -> Grade:
    public = challenge.public_as(LabelFnPublic)
    behaviour = grade_program(ProgramAnswer(source=answer.program + SHIM), challenge)
    if "error" in behaviour.details and behaviour.score == 0.0 and not behaviour.solved:
        return Grade.failed(str(behaviour.details["error"]), behaviour_solved=False, mechanism_solved=False)
    model = DOMAINS["pairs"].load(challenge.bundle_dir / "model")
    base, source = interchange_pairs(challenge, public.p)
    per_var, run = iia(model, answer, base, source, public.p)
    mean_iia = float(np.mean([v["iia"] for v in per_var.values()]))
    mechanism = all(v["iia"] >= FAITHFUL_BAR for v in per_var.values())
    details: dict[str, Any] = {**behaviour.details, "behaviour": round(behaviour.score, 6),
                               "behaviour_solved": behaviour.solved, "iia": round(mean_iia, 6),
                               "iia_per_variable": per_var, "mechanism_solved": mechanism}
    if run.failure:
        details["error_under_intervention"] = run.failure
    elif run.first_error:
        details["first_error_under_intervention"] = run.first_error
    return Grade(score=0.5 * behaviour.score + 0.5 * mean_iia, solved=behaviour.solved, details=details)
