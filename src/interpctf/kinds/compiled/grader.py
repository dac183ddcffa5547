"""Grading compiled-kind answers: behaviour on every input, mechanism by interchange intervention accuracy.

Behaviour: the answer's program on every sequence up to the maximum length against the model's outputs (the
forge checked the model equals the RASP program on exactly these). Mechanism (circuit answers): for each
claimed variable, ``n_pairs`` random base/source pairs of one length; the claimed site is patched from the
source run into the base run (:mod:`.patching`) and the pair counts when the model's whole output equals what
the answer's program predicts with that variable's value taken from the source run. Pairs whose prediction
equals the base output test nothing; their count is in the details (``informative``).
"""

from typing import Any

import numpy as np

from interpctf.circuits.patching import Tally

from interpctf.kinds.compiled.answers import CircuitAnswer, ProgramAnswer
from interpctf.kinds.compiled.check import all_inputs, model_outputs
from interpctf.kinds.compiled.facts import CompiledPublic, CompiledSecret
from interpctf.kinds.compiled.net import CompiledTransformer, load
from interpctf.kinds.compiled.patching import patched_outputs
from interpctf.kinds.compiled.running import Layout, Run, run_groups
from interpctf.nets.threads import single_thread
from interpctf.schema import Challenge, Grade

MECHANISM_BAR = 0.99  # IIA each claimed variable must reach for the mechanism to count as found


def model_of(challenge: Challenge) -> CompiledTransformer:
    return load(challenge.bundle_dir / "model")


@single_thread()
def behaviour(model: CompiledTransformer, layout: Layout, source: str, hooked: bool,
              names: list[str]) -> tuple[float, Run]:
    """Fraction of all inputs up to max length on which the program's whole output equals the model's."""
    lengths = range(1, layout.max_len + 1)
    inputs = [np.concatenate(list(all_inputs(len(layout.vocab), n))) for n in lengths]
    groups = [(np.full(len(x), -1), x, None) for x in inputs]
    outs, run = run_groups(layout, source, names, hooked, groups)
    right = sum(int(np.sum((out == model_outputs(model, x)).all(1) & (out >= 0).all(1)))
                for out, x in zip(outs, inputs))
    return right / sum(len(x) for x in inputs), run


def pairs(n_vocab: int, max_len: int, n_pairs: int, seed: int, var: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Base/source pairs per length (lengths 2..max_len: one token has nothing to interchange against)."""
    rng = np.random.default_rng([seed, var])
    lengths = rng.integers(min(2, max_len), max_len + 1, size=n_pairs)
    return {int(n): (rng.integers(n_vocab, size=(int(np.sum(lengths == n)), int(n))),
                     rng.integers(n_vocab, size=(int(np.sum(lengths == n)), int(n))))
            for n in np.unique(lengths)}


@single_thread()  # the interchange forwards are small: one thread is faster than two spinning (see check.py)
def iia(model: CompiledTransformer, layout: Layout, answer: CircuitAnswer, n_pairs: int,
        seed: int) -> tuple[dict[str, dict[str, Any]], Run]:
    names = list(answer.variables)
    groups, keys = [], []
    for i, name in enumerate(names):
        for n, (base, src) in pairs(len(layout.vocab), layout.max_len, n_pairs, seed, i).items():
            groups.append((np.full(len(base), i), base, src))
            keys.append((name, base, src))
    predicted, run = run_groups(layout, answer.program, names, True, groups)
    tallies = {name: Tally() for name in names}
    for (name, base, src), want in zip(keys, predicted):
        got = patched_outputs(model, base, src, answer.variables[name])
        tallies[name].add(got, want, model_outputs(model, base))
    return {name: t.report() for name, t in tallies.items()}, run


def _error(run: Run) -> dict[str, Any]:
    out: dict[str, Any] = {"exceptions": run.n_exceptions}
    if run.first_error:
        out["first_error"] = run.first_error
    return out


def grade_program(answer: ProgramAnswer, challenge: Challenge) -> Grade:
    public = challenge.public_as(CompiledPublic)
    layout = Layout(public.vocab, public.output_values, public.max_seq_len)
    agreement, run = behaviour(model_of(challenge), layout, answer.source, False, [])
    if run.failure:
        return Grade.failed(f"the answer failed: {run.failure}", behaviour_solved=False, mechanism_solved=False)
    solved = agreement == 1.0
    return Grade(score=agreement, solved=solved, details={
        "behaviour": round(agreement, 6), "behaviour_solved": solved, "mechanism_solved": False,
        "n_inputs": public.n_inputs, **_error(run)})


def grade_circuit(answer: CircuitAnswer, challenge: Challenge) -> Grade:
    public, secret = challenge.public_as(CompiledPublic), challenge.secret_as(CompiledSecret)
    layout = Layout(public.vocab, public.output_values, public.max_seq_len)
    model = model_of(challenge)
    names = list(answer.variables)
    agreement, run = behaviour(model, layout, answer.program, True, names)
    if run.failure:
        return Grade.failed(f"the answer failed: {run.failure}", behaviour_solved=False, mechanism_solved=False)
    per_var, pair_run = iia(model, layout, answer, secret.n_pairs, secret.pair_seed)
    mean_iia = float(np.mean([v["iia"] for v in per_var.values()]))
    claimed = {(c.layer, c.component, c.head) for c in answer.variables.values()}
    truth = {(t.layer, t.component, t.head) for t in secret.variables.values()}
    covered = len(truth & claimed)
    behaviour_solved = agreement == 1.0
    mechanism = behaviour_solved and covered == len(truth) and all(v["iia"] >= MECHANISM_BAR for v in per_var.values())
    score = 0.5 * agreement + 0.5 * mean_iia
    return Grade(score=score, solved=mechanism, details={
        "behaviour": round(agreement, 6), "iia": round(mean_iia, 6), "iia_per_variable": per_var,
        "sites_covered": f"{covered}/{len(truth)}", "behaviour_solved": behaviour_solved,
        "mechanism_solved": mechanism, "n_inputs": public.n_inputs, **_error(run),
        **({"first_error_under_intervention": pair_run.first_error} if pair_run.first_error else {})})
