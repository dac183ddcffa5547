"""``distil: true``: a smaller dense transformer trained to imitate the compiled one, and where its variables went.

The student has the compiled model's layers and heads and a narrower residual stream, and is trained on the
compiled model's outputs for every input up to the maximum length (each length a batch; longer lengths sampled)
until it agrees on every input or its steps run out. Its agreement is the figure the forge's bar holds at 1.0,
so a student that misses one input is retrained from a derived seed (:mod:`interpctf.forge`).

Nothing says the student computes the program the way Tracr laid it out. For each variable of the program,
every site of the student (each head, each MLP) is tried with interchange interventions whose predictions come
from the RASP program itself (the batch evaluator with that variable's value taken from the source run); a
variable's mechanism carries over only where some site reaches IIA 1.0, and that site becomes its ground truth.
"""

from typing import Any, Callable

import numpy as np
import torch
from torch.nn import functional as F

from interpctf.circuits.patching import Tally
from interpctf.circuits.sites import SiteClaim
from interpctf.kinds.compiled.check import all_inputs, model_outputs
from interpctf.kinds.compiled.grader import pairs
from interpctf.kinds.compiled.net import CompiledConfig, CompiledTransformer
from interpctf.kinds.compiled.patching import all_sites, patched_outputs
from interpctf.kinds.compiled.rasp_eval import BatchEvaluator
from interpctf.nets.threads import single_thread

BATCH = 4096  # rows per length per step: every input of a small recipe; a longer one samples this many
CHECK_EVERY = 50
CARRY_BAR = 1.0  # on the search's pairs; grading then asks 0.99 on its own pairs


def student_config(teacher: CompiledConfig, d_model: int, d_mlp: int) -> CompiledConfig:
    return teacher.model_copy(update={"d_model": d_model, "d_head": max(4, d_model // teacher.n_heads),
                                      "d_mlp": d_mlp})


def _init(model: CompiledTransformer, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = p.shape[-2] if p.ndim >= 2 and not name.startswith(("W_E", "W_pos")) else 1
            p.copy_(torch.randn(p.shape, generator=gen) / fan_in ** 0.5)


def agreement(student: CompiledTransformer, inputs: list[np.ndarray], targets: list[np.ndarray]) -> float:
    """Fraction of all inputs on which the student's whole output equals the compiled model's."""
    right = sum(int(np.sum((model_outputs(student, x) == t).all(1))) for x, t in zip(inputs, targets))
    return right / sum(len(x) for x in inputs)


@single_thread()
def train_student(teacher: CompiledTransformer, cfg: CompiledConfig, max_len: int, seed: int, steps: int,
                  on_step: Callable[[int], None] | None = None) -> tuple[CompiledTransformer, float]:
    """The trained student (eval mode, frozen) and its agreement with ``teacher`` over every input."""
    n_vocab = len(cfg.vocab)
    inputs = [np.concatenate(list(all_inputs(n_vocab, n))) for n in range(1, max_len + 1)]
    targets = [model_outputs(teacher, x) for x in inputs]
    tensors = [(teacher.with_bos(torch.from_numpy(x)), torch.from_numpy(t)) for x, t in zip(inputs, targets)]
    student = CompiledTransformer(cfg)
    _init(student, seed)
    student.train()
    opt = torch.optim.Adam(student.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, eta_min=1e-4)
    gen = torch.Generator().manual_seed(seed + 1)
    best = 0.0
    for step in range(steps):
        loss = torch.zeros(())
        for ids, want in tensors:
            pick = torch.randint(len(ids), (min(BATCH, len(ids)),), generator=gen)
            logits = student(ids[pick])[:, 1:]
            loss = loss + F.cross_entropy(logits.reshape(-1, logits.shape[-1]), want[pick].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if on_step is not None:
            on_step(1)
        if (step + 1) % CHECK_EVERY == 0 or step == steps - 1:
            student.eval()
            best = agreement(student, inputs, targets)
            student.train()
            if best == 1.0:
                if on_step is not None:
                    on_step(steps - step - 1)
                break
    return student.eval().requires_grad_(False), best


def locate(student: CompiledTransformer, ev: BatchEvaluator, sink: str, names: list[str], to_model: np.ndarray,
           max_len: int, n_pairs: int, seed: int) -> dict[str, tuple[SiteClaim, float]]:
    """Per variable, the student's site with the highest IIA against the program (the earliest on ties)."""
    cfg = student.cfg
    sites = all_sites(cfg.n_layers, cfg.n_heads)
    found: dict[str, tuple[SiteClaim, float]] = {}
    for i, name in enumerate(names):
        groups = pairs(len(cfg.vocab), max_len, n_pairs, seed, i)
        wants = {n: to_model[ev.run(base, {name: ev.run(src)[name]})[sink]] for n, (base, src) in groups.items()}
        plains = {n: model_outputs(student, base) for n, (base, _) in groups.items()}
        best: tuple[SiteClaim, float] | None = None
        for site in sites:
            tally = Tally()
            for n, (base, src) in groups.items():
                tally.add(patched_outputs(student, base, src, site), wants[n], plains[n])
            score = float(tally.report()["iia"])
            if best is None or score > best[1]:
                best = (site, score)
        assert best is not None
        found[name] = best
    return found


def carried(found: dict[str, tuple[SiteClaim, float]]) -> dict[str, SiteClaim]:
    return {name: site for name, (site, score) in found.items() if score >= CARRY_BAR}


def per_variable(found: dict[str, tuple[SiteClaim, float]]) -> dict[str, dict[str, Any]]:
    """What the key records: each variable's best site in the student and its IIA there."""
    return {name: {"site": site.model_dump(exclude_none=True), "iia": round(score, 6)}
            for name, (site, score) in found.items()}
