"""Where the editable parts live in each causal-LM architecture family: one small table per family.

ROME (Meng et al. 2022) and MEMIT (Meng et al. 2023) both name, per model, the MLP output projection whose
weight is the associative memory ``v = W k`` ("rewrite_module_tmp") and the residual-stream hook at a layer's
block output ("layer_module_tmp"); causal tracing also needs the attention, the MLP and the token embedding.
Everything in :mod:`interpctf.editing` reaches a model's internals through :func:`family_of`, so adding a family
is one table entry. The family is chosen from ``model.config.model_type``.

Orientation: GPT-2 stores its projections as ``Conv1D`` (``y = x @ weight + bias``, weight [in, out], the
transpose of ROME's W); the others use ``nn.Linear`` (weight [out, in] = W), most without a bias.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict

from interpctf.errors import InterpctfError


class UnknownFamily(InterpctfError):
    """A model whose architecture family the editors have no table for."""


class Family(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    blocks: str          # the list of transformer blocks; a block's output is the residual stream (the hook)
    attn: str            # relative to a block
    mlp: str             # relative to a block
    mlp_out: str         # relative to a block: ROME's "down" projection, whose input is the key k
    orientation: Literal["conv1d", "linear"]
    embed: str           # the token embedding (output: before positions are added, where there are any)
    final_norm: str
    # Parallel blocks (GPT-J; GPT-NeoX where config.use_parallel_residual): attention and MLP read the same input,
    # so layer 0's MLP sees each token alone, never its context, and cannot hold a fact about the subject there.
    parallel: bool = False
    parallel_flag: str | None = None  # the config attribute that decides it, where the family has one


_GPT2 = Family(name="gpt2", blocks="transformer.h", attn="attn", mlp="mlp", mlp_out="mlp.c_proj",
               orientation="conv1d", embed="transformer.wte", final_norm="transformer.ln_f")
_NEOX = Family(name="gpt_neox", blocks="gpt_neox.layers", attn="attention", mlp="mlp",
               mlp_out="mlp.dense_4h_to_h", orientation="linear", embed="gpt_neox.embed_in",
               final_norm="gpt_neox.final_layer_norm", parallel=True, parallel_flag="use_parallel_residual")
_GPTJ = Family(name="gptj", blocks="transformer.h", attn="attn", mlp="mlp", mlp_out="mlp.fc_out",
               orientation="linear", embed="transformer.wte", final_norm="transformer.ln_f", parallel=True)
_LLAMA = Family(name="llama", blocks="model.layers", attn="self_attn", mlp="mlp", mlp_out="mlp.down_proj",
                orientation="linear", embed="model.embed_tokens", final_norm="model.norm")

# config.model_type -> table. Mistral and Qwen2 share Llama's module layout (gated MLP with down_proj).
FAMILIES: dict[str, Family] = {"gpt2": _GPT2, "gpt_neox": _NEOX, "gptj": _GPTJ, "llama": _LLAMA,
                               "mistral": _LLAMA.model_copy(update={"name": "mistral"}),
                               "qwen2": _LLAMA.model_copy(update={"name": "qwen2"})}


def family_of(model) -> Family:
    """The table for ``model`` (a transformers causal LM), or a one-line error listing the known families."""
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    if model_type not in FAMILIES:
        raise UnknownFamily(f"base_model: architecture family {model_type!r} is not supported for editing; "
                            f"known families: {', '.join(sorted(FAMILIES))}")
    return FAMILIES[model_type]


def _get(root, path: str):
    for part in path.split("."):
        root = root[int(part)] if part.isdigit() else getattr(root, part)
    return root


def blocks(model) -> list:
    return list(_get(model, family_of(model).blocks))


def n_layers(model) -> int:
    return len(_get(model, family_of(model).blocks))


def block_part(model, layer: int, part: Literal["attn", "mlp", "mlp_out"]):
    fam = family_of(model)
    return _get(_get(model, fam.blocks)[layer], getattr(fam, part))


def embedding(model) -> torch.nn.Module:
    return _get(model, family_of(model).embed)


def first_contextual_mlp(model) -> int:
    """The first layer whose MLP reads the attention's output (so the subject's context): 1 in parallel blocks."""
    fam = family_of(model)
    parallel = bool(getattr(model.config, fam.parallel_flag, fam.parallel)) if fam.parallel_flag else fam.parallel
    return 1 if parallel else 0


def hidden_size(model) -> int:
    return int(model.config.hidden_size)


def max_positions(model) -> int:
    """The longest sequence the model takes (GPT-2 and GPT-J call it n_positions)."""
    config = model.config
    return int(getattr(config, "n_positions", None) or config.max_position_embeddings)


def proj_weight(model, layer: int) -> torch.Tensor:
    """``W`` of ROME's ``v = W k + b``: [d_model, d_mlp], whatever the storage orientation."""
    weight = block_part(model, layer, "mlp_out").weight.detach()
    return weight.T if family_of(model).orientation == "conv1d" else weight


def proj_bias(model, layer: int) -> torch.Tensor:
    """The projection's bias, zeros where it has none (Llama-family, GPT-NeoX variants without bias)."""
    proj = block_part(model, layer, "mlp_out")
    if getattr(proj, "bias", None) is None:
        return torch.zeros(proj_weight(model, layer).shape[0], dtype=proj.weight.dtype)
    return proj.bias.detach()


def add_to_proj_weight(model, layer: int, delta_w: torch.Tensor) -> None:
    """``W += delta_w`` for ``delta_w`` of shape [d_model, d_mlp], in the family's storage orientation."""
    weight = block_part(model, layer, "mlp_out").weight
    delta = delta_w.T if family_of(model).orientation == "conv1d" else delta_w
    with torch.no_grad():
        weight.add_(delta.to(device=weight.device, dtype=weight.dtype))


def proj_param_name(model, layer: int) -> str:
    """The state-dict name of the edited weight (revert answers key their deltas by it)."""
    fam = family_of(model)
    return f"{fam.blocks}.{layer}.{fam.mlp_out}.weight"
