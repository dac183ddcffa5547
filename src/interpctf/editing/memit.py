"""MEMIT: Mass-Editing Memory in a Transformer (Meng, Sen Sharma, Andonian, Belinkov, Bau, ICLR 2023).

Many edits at once, spread over several MLP layers. For each edit i a target z_i for the residual stream at
the *last* edited layer L is optimized (eq. 16, :func:`optimize_target` on site "hidden"). Then, layer by layer
from the first (Alg. 1), with the keys K_l of the subjects under the current (partly edited) model and the
remaining residual R = Z − H_L spread evenly over the layers still to come (R_l = R / (L − l + 1)):

    ΔW_l = R_l K_lᵀ (λ C₀ + K_l K_lᵀ)⁻¹                    (eq. 14)

C₀ = E[k kᵀ] over the corpus (eq. 14's K₀K₀ᵀ up to scale, absorbed in λ, MEMIT's mom2_update_weight).
"""

from __future__ import annotations

import copy

import torch
from pydantic import BaseModel, ConfigDict

from interpctf.data.world import UnknownWorldItem, World
from interpctf.editing.hooks import add_to_mlp_weight
from interpctf.editing.targets import (Edit, TargetParams, check_edit, context_prompts, mean_keys,
                                       optimize_targets, rewrite_prompt, site_vector)


class MemitParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    layers: list[int] = [1, 2, 3]
    lam: float = 1e3   # MEMIT's λ (mom2_update_weight): how strongly the corpus keys' outputs are preserved
    target: TargetParams = TargetParams()


def memit_update(residual: torch.Tensor, keys: torch.Tensor, c0: torch.Tensor, lam: float) -> torch.Tensor:
    """ΔW = R Kᵀ (λC₀ + K Kᵀ)⁻¹ (MEMIT eq. 14). residual [d_out, n], keys [d_in, n], c0 [d_in, d_in].
    Pure function; solved as a linear system rather than with an explicit inverse."""
    a = lam * c0 + keys @ keys.T                        # symmetric positive definite
    return torch.linalg.solve(a, keys @ residual.T).T   # (A⁻¹ K Rᵀ)ᵀ = R Kᵀ A⁻¹


def memit_edit_inplace(model, tokenizer, world: World, edits: list[Edit], covs: dict[int, torch.Tensor],
                       params: MemitParams) -> dict:
    if len({(e.subject, e.relation) for e in edits}) != len(edits):
        raise UnknownWorldItem("two edits rewrite the same (subject, relation); keep one of them")
    for e in edits:
        check_edit(world, e)
    layers = sorted(params.layers)
    top = layers[-1]
    # every z_i is optimized on the unedited model, independently of the others: in one batch
    z = optimize_targets(model, tokenizer, world, edits, "hidden", top, params.target).T
    contexts = [context_prompts(world, e, params.target) for e in edits]
    pos_kind = params.target.position
    norms = {}
    for pos, layer in enumerate(layers):
        keys = torch.stack([mean_keys(model, tokenizer, ctx, e.subject, [layer], pos_kind)[layer]
                            for ctx, e in zip(contexts, edits)], 1)
        h = torch.stack([site_vector(model, tokenizer, rewrite_prompt(world, e), e.subject, "hidden", top,
                                     pos_kind).double()
                         for e in edits], 1)
        residual = (z - h) / (len(layers) - pos)
        delta = memit_update(residual, keys, covs[layer].double(), params.lam)
        add_to_mlp_weight(model, layer, delta)
        norms[f"delta_norm_layer{layer}"] = float(delta.norm())
    return norms


def memit_edit(model, tokenizer, world: World, edits: list[Edit], covs: dict[int, torch.Tensor],
               params: MemitParams | None = None):
    edited = copy.deepcopy(model)
    memit_edit_inplace(edited, tokenizer, world, edits, covs, params or MemitParams())
    return edited
