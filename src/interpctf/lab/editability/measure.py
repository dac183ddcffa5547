"""The evaluator: the capability gate and editability under ROME one at a time, MEMIT in one batch and
sequential ROME, each measured with the CounterFact metrics (:mod:`interpctf.editing`).

Which layers are edited follows from the depth alone, the same rule for every config: ROME the last MLP, MEMIT
the last three (for the shipped 4-layer model these are the editors' defaults, layer 3 and layers 1-3, where
causal tracing finds the world model's facts). A config changes how the model is trained, never how it is edited.
"""

from __future__ import annotations

import copy
import statistics

import torch
from pydantic import BaseModel, ConfigDict

from interpctf.data.world import World
from interpctf.editing import Edit, MemitParams, RomeParams, edit_metrics, fact_recall, random_edits
from interpctf.editing.hooks import mlp_proj
from interpctf.editing.memit import memit_edit_inplace
from interpctf.editing.metrics import harmonic_mean
from interpctf.editing.rome import rome_edit_inplace
from interpctf.editing.stats import compute_key_stats
from interpctf.editing.targets import optimize_targets

SCHEMES = ("rome", "memit", "sequential")
EDIT_SEED = 16_002  # fixed: every run is judged on the same edits
MAX_PARAM_RATIO = 1.5
RECALL_TOLERANCE = 0.02


class GateReference(BaseModel):
    """What the capability gate compares with: the shipped world model's recall and parameter count."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    recall_train: float
    recall_paraphrase: float
    n_params: int


def edit_sets(world: World, n: int) -> dict[str, list[Edit]]:
    """The validation and test edits: 2n distinct facts (each with a neighbour), target_new another object of
    the relation, seeded; the first n validate, the other n test, so the two sets never share a fact."""
    edits = random_edits(world, 2 * n, seed=EDIT_SEED)
    return {"val": edits[:n], "test": edits[n:]}


def recall(model, tokenizer, world: World) -> dict[str, float]:
    return {"recall_train": fact_recall(model, tokenizer, world, "train"),
            "recall_paraphrase": fact_recall(model, tokenizer, world, "paraphrase")}


def gate_failure(metrics: dict[str, float], reference: GateReference) -> str | None:
    """Why the model fails the capability gate (one line), or None when it holds. Pure."""
    cap = MAX_PARAM_RATIO * reference.n_params
    if metrics["n_params"] > cap:
        return (f"gate: {int(metrics['n_params'])} parameters is over {MAX_PARAM_RATIO:g}x the reference's "
                f"{reference.n_params} ({int(cap)})")
    for name in ("recall_train", "recall_paraphrase"):
        floor = getattr(reference, name) - RECALL_TOLERANCE
        if metrics[name] < floor:
            return (f"gate: {name} {metrics[name]:.4f} is below the reference's {getattr(reference, name):.4f} "
                    f"- {RECALL_TOLERANCE:g} ({floor:.4f})")
    return None


def editor_layers(n_layer: int) -> tuple[int, list[int]]:
    return n_layer - 1, list(range(max(0, n_layer - 3), n_layer))


def _restore(model, base, layer: int) -> None:
    with torch.no_grad():
        mlp_proj(model, layer).weight.copy_(mlp_proj(base, layer).weight)


def _scheme_metrics(parts: dict[str, float], prefix: str) -> dict[str, float]:
    score = harmonic_mean([parts["efficacy"], parts["paraphrase"], parts["neighborhood"]])
    out = {f"{prefix}_{k}": float(v) for k, v in parts.items()}
    out[f"{prefix}_score"] = score
    return out


def editability(base, tokenizer, world: World, edits: list[Edit], stats_docs: int, recall_limit: int,
                progress=None) -> dict[str, float]:
    """The three schemes' CounterFact scores (harmonic mean of efficacy, paraphrase and neighbourhood), their
    parts, the recall of untouched facts after editing, and ``editability``: the mean of the three scores.

    ROME one at a time starts every edit from the unedited model (its metrics are averaged over the edits);
    sequential ROME applies the edits one after another and is measured once at the end, as is MEMIT."""
    n_layer = base.config.n_layer
    rome_layer, memit_layers = editor_layers(n_layer)
    covs = compute_key_stats(base, tokenizer, world, sorted({rome_layer, *memit_layers}), n_docs=stats_docs)
    rome = RomeParams(layer=rome_layer)
    tick = progress or (lambda name: None)
    out: dict[str, float] = {}

    edited = copy.deepcopy(base)
    per_edit: dict[str, list[float]] = {k: [] for k in ("efficacy", "paraphrase", "neighborhood", "recall_after")}
    # every edit starts from the unedited model, so their v* are independent: optimized in one batch
    targets = optimize_targets(base, tokenizer, world, edits, "mlp", rome_layer, rome.target)
    for e, v in zip(edits, targets):
        rome_edit_inplace(edited, tokenizer, world, e, covs[rome_layer], rome, v)
        m = edit_metrics(base, edited, world, [e], tokenizer, with_recall=False, with_entropy=False)
        for k in ("efficacy", "paraphrase", "neighborhood"):
            per_edit[k].append(m[k])
        per_edit["recall_after"].append(fact_recall(edited, tokenizer, world, "train", limit=recall_limit // 4,
                                                    exclude={(e.subject, e.relation)}))
        _restore(edited, base, rome_layer)
        tick("rome")
    out |= _scheme_metrics({k: statistics.fmean(v) for k, v in per_edit.items()}, "rome")

    for e in edits:
        rome_edit_inplace(edited, tokenizer, world, e, covs[rome_layer], rome)
        tick("sequential")
    out |= _scheme_metrics(_summary(base, edited, world, edits, tokenizer, recall_limit), "sequential")

    edited = copy.deepcopy(base)
    memit_edit_inplace(edited, tokenizer, world, edits, {k: covs[k] for k in memit_layers},
                       MemitParams(layers=memit_layers, target=rome.target))
    tick("memit")
    out |= _scheme_metrics(_summary(base, edited, world, edits, tokenizer, recall_limit), "memit")
    out["editability"] = statistics.fmean(out[f"{s}_score"] for s in SCHEMES)
    return out


def _summary(base, edited, world: World, edits: list[Edit], tokenizer, recall_limit: int) -> dict[str, float]:
    m = edit_metrics(base, edited, world, edits, tokenizer, with_recall=False, with_entropy=False)
    exclude = {(e.subject, e.relation) for e in edits}
    return {"efficacy": m["efficacy"], "paraphrase": m["paraphrase"], "neighborhood": m["neighborhood"],
            "recall_after": fact_recall(edited, tokenizer, world, "train", limit=recall_limit, exclude=exclude)}
