"""ROME: Rank-One Model Editing (Meng, Bau, Andonian, Belinkov, NeurIPS 2022, "Locating and Editing Factual
Associations in GPT"), for one edit at one MLP layer.

The MLP's output projection is treated as a linear associative memory ``v = W k``. To make the key k* of the
subject store the value v* while disturbing the other keys least (in the metric of their second moment C),
ROME's closed form (eq. 2) is

    W' = W + Λ (C⁻¹k*)ᵀ,    Λ = (v* − W k*) / ((C⁻¹k*)ᵀ k*).

We use the *same* averaged k* in the numerator and the denominator; the original code computed the
numerator with a differently averaged key, which makes W' k* miss v* and was reported to make edits collapse
the model ("model collapse" in sequential ROME, Gupta et al. 2024). With the same key, W' k* = v* exactly.
GPT-2's bias is part of the current output, so the residual is v* − (W k* + b).

Where: ROME reads k* at the subject's last token because causal tracing locates the fact there in GPT-2 XL.
Tracing the world model locates it at the prompt's last token instead (see tracing.py), so the default
``TargetParams.position`` is "last" with k* averaged over random prefixes *and* the relation's training
templates; "subject" is kept for models that enrich the subject token.
"""

from __future__ import annotations

import copy

import torch
from pydantic import BaseModel, ConfigDict

from interpctf.data.world import World
from interpctf.editing.families import proj_bias
from interpctf.editing.hooks import add_to_mlp_weight, mlp_weight
from interpctf.editing.targets import Edit, TargetParams, check_edit, context_prompts, mean_keys, optimize_target


class RomeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    layer: int = 3      # an MLP that causal tracing finds carrying the fact at the lookup token (see tests)
    ridge: float = 1e-4  # relative ridge on C, only for numerical safety
    target: TargetParams = TargetParams()


def update_direction(c: torch.Tensor, k: torch.Tensor, ridge: float = 0.0) -> torch.Tensor:
    """u = C⁻¹k* (with ``ridge`` · mean(diag C) · I added to C): the update ΔW = Λ uᵀ adds Λ · (uᵀk) to the
    output at a token whose key is k, so it fires with strength uᵀk / uᵀk* at every token, not only at k*."""
    c = c + ridge * c.diagonal().mean() * torch.eye(c.shape[0], dtype=c.dtype, device=c.device)
    return torch.linalg.solve(c, k)


def rank_one_update(w: torch.Tensor, bias: torch.Tensor, c: torch.Tensor, k: torch.Tensor,
                    v: torch.Tensor, ridge: float = 0.0) -> torch.Tensor:
    """ΔW (shape of w, [d_out, d_in]) with (W + ΔW) k + b = v and ΔW = Λ (C⁻¹k)ᵀ (ROME eq. 2).

    Pure function of float64 tensors; ``ridge`` adds ridge · mean(diag C) · I before solving.
    """
    u = update_direction(c, k, ridge)            # C⁻¹ k*
    lam = (v - (w @ k + bias)) / (u @ k)         # Λ, with the same k* as the denominator
    return torch.outer(lam, u)


def rome_edit_inplace(model, tokenizer, world: World, edit: Edit, cov: torch.Tensor,
                      params: RomeParams, target: torch.Tensor | None = None) -> dict:
    """Applies one ROME edit to ``model`` in place; returns diagnostics (norms, residual). ``target``: v*
    when it was already optimized on this same model (:func:`~interpctf.editing.targets.optimize_targets`)."""
    check_edit(world, edit)
    layer = params.layer
    prompts = context_prompts(world, edit, params.target)
    k = mean_keys(model, tokenizer, prompts, edit.subject, [layer], params.target.position)[layer]
    v = optimize_target(model, tokenizer, world, edit, "mlp", layer, params.target) if target is None else target
    w = mlp_weight(model, layer).double()
    b = proj_bias(model, layer).double()
    delta = rank_one_update(w, b, cov.double(), k, v, params.ridge)
    add_to_mlp_weight(model, layer, delta)
    return {"delta_norm": float(delta.norm()), "w_norm": float(w.norm()),
            "residual_after": float(((w + delta) @ k + b - v).norm())}


def rome_edit(model, tokenizer, world: World, edit: Edit, cov: torch.Tensor, params: RomeParams | None = None):
    """A new model with the edit applied; ``model`` is left unchanged."""
    edited = copy.deepcopy(model)
    rome_edit_inplace(edited, tokenizer, world, edit, cov, params or RomeParams())
    return edited
