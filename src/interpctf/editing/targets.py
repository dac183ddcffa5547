"""The pieces ROME and MEMIT share: the edit request, prefix contexts, the key k* and the target vector.

The target is found by gradient descent on a vector δ added at the lookup token (ROME §3.1 step 2,
eq. 4; MEMIT §4.2 eq. 16; the descent itself is :mod:`interpctf.editing.optimize`): minimize the new object's negative log-likelihood over prompts with random
prefixes, plus a KL term that keeps the subject's *other* facts (our stand-in for ROME's "{} is a" essence
prompt: here what a subject "is" is exactly its other facts), plus a penalty on ‖δ‖ relative to the original
vector, which is also clamped to a multiple of that norm.
"""

from __future__ import annotations

import random
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field

from interpctf.data.world import World
from interpctf.editing.hooks import Site, subject_last_index
from interpctf.editing.optimize import keys_at, optimize_vector, vector_at
from interpctf.editing.optimize_batch import VectorProblem, optimize_vectors
from interpctf.nets.tiny_gpt_eval import token_id


class Edit(BaseModel):
    """Rewrite the fact (subject, relation) so that its object becomes ``new_object``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    subject: str
    relation: str
    new_object: str


class TargetParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Where the key is read and the target written. "subject": the subject's last token (ROME's choice, where
    # tracing finds the fact in GPT-2 XL). "last": the prompt's last token, where tracing finds it in the world
    # model (its layer-0 attention copies the subject to the end and the MLPs there do the lookup); the key is
    # then averaged over the relation's training templates too, so that it does not encode one wording.
    # Measured on the reference model (6 ROME edits, layers 0-3): "subject" gives efficacy 0.0 at every layer,
    # "last" gives efficacy 1.0; see the report and tests/editing/test_editing_tracing.py.
    position: Literal["subject", "last"] = "last"
    n_prefixes: int = 10      # random contexts the key and target are averaged/optimized over (ROME uses ~10)
    steps: int = 30           # Adam steps on δ (ROME: 20 for GPT-2 XL)
    lr: float = 0.5
    kl_weight: float = 0.0625  # ROME's kl_factor
    norm_weight: float = 0.5   # ROME's v_weight_decay, on ‖δ‖² / ‖v₀‖²
    clamp: float = 4.0         # ‖δ‖ ≤ clamp · ‖v₀‖ (ROME's clamp_norm_factor)
    stop_nll: float = 0.02     # stop early once the new object is this likely on average
    # CounterFact editors (interpctf.editing.requests): rounds of looser budgets until the edited model prefers
    # the new target on the request prompt (see interpctf.editing.verify); 1 = no retry.
    verify_rounds: int = Field(default=4, ge=1, le=8)


def check_edit(world: World, edit: Edit) -> str:
    """Validates the edit against the world and returns the old object."""
    old = world.object_of(edit.subject, edit.relation)
    world.check_object(edit.relation, edit.new_object)
    return old


def rewrite_prompt(world: World, edit: Edit) -> str:
    """The canonical prompt the edit is stated in: the relation's first training template."""
    template = world.templates(edit.relation, "train")[0].text
    return template.replace("{s}", edit.subject)


def prefixes(world: World, edit: Edit, n: int) -> list[str]:
    """"" plus n-1 short random texts from the world (ROME samples them from the model; our corpus is the
    model's language), deterministic per edit."""
    rng = random.Random(f"prefix-{edit.subject}-{edit.relation}")
    docs = world.corpus(4 * n, seed=rng.randrange(1 << 30), max_facts=2)
    return [""] + [d + " " for d in rng.sample(docs, n - 1)]


def context_prompts(world: World, edit: Edit, params: "TargetParams") -> list[str]:
    """The rewrite prompt behind random prefixes; for position "last" also every training template (each
    without prefix and behind one prefix). The first prompt is always the bare rewrite prompt."""
    pre = prefixes(world, edit, params.n_prefixes)
    if params.position == "subject":
        return [p + rewrite_prompt(world, edit) for p in pre]
    texts = [t.text.replace("{s}", edit.subject) for t in world.templates(edit.relation, "train")]
    return texts + [p + texts[i % len(texts)] for i, p in enumerate(pre[1:])]


def lookup_index(tokenizer, prompt: str, subject: str, position: str) -> int:
    if position == "last":
        return len(tokenizer(prompt)["input_ids"]) - 1
    return subject_last_index(tokenizer, prompt, subject)


def _ids(tokenizer, prompts: list[str]) -> list[list[int]]:
    return [tokenizer(p)["input_ids"] for p in prompts]


def mean_keys(model, tokenizer, prompts: list[str], subject: str, layers: list[int],
              position: str = "subject") -> dict[int, torch.Tensor]:
    """k* per layer: the MLP key at the lookup token averaged over the prompts (ROME eq. 3)."""
    idx = [lookup_index(tokenizer, p, subject, position) for p in prompts]
    return keys_at(model, _ids(tokenizer, prompts), idx, layers, tokenizer.pad_token_id)


def site_vector(model, tokenizer, prompt: str, subject: str, site: Site, layer: int,
                position: str = "subject") -> torch.Tensor:
    return vector_at(model, tokenizer(prompt)["input_ids"], lookup_index(tokenizer, prompt, subject, position),
                     site, layer, tokenizer.pad_token_id)


def target_problem(tokenizer, world: World, edit: Edit, params: TargetParams) -> VectorProblem:
    """An edit's prompts as token ids: the rewrite prompts are :func:`context_prompts`, the essence prompts the
    subject's other relations."""
    rewrite = context_prompts(world, edit, params)
    others = [r.id for r in world.relations if r.id != edit.relation]
    essence = [world.templates(r, "train")[0].text.replace("{s}", edit.subject) for r in others]
    return VectorProblem(
        _ids(tokenizer, rewrite), [lookup_index(tokenizer, p, edit.subject, params.position) for p in rewrite],
        [token_id(tokenizer, edit.new_object)], _ids(tokenizer, essence),
        [lookup_index(tokenizer, p, edit.subject, params.position) for p in essence])


def optimize_target(model, tokenizer, world: World, edit: Edit, site: Site, layer: int,
                    params: TargetParams) -> torch.Tensor:
    """v* (site "mlp": the MLP output, ROME) or z* (site "hidden": the residual stream, MEMIT) for a world edit."""
    p = target_problem(tokenizer, world, edit, params)
    return optimize_vector(model, p.rewrite, p.rewrite_lookup, p.target, p.essence, p.essence_lookup, site, layer,
                           params, tokenizer.pad_token_id)


def optimize_targets(model, tokenizer, world: World, edits: list[Edit], site: Site, layer: int,
                     params: TargetParams) -> torch.Tensor:
    """[n_edits, d]: each edit's :func:`optimize_target` on this same model, all optimized in one batch."""
    return optimize_vectors(model, [target_problem(tokenizer, world, e, params) for e in edits], site, layer,
                            params, tokenizer.pad_token_id)
