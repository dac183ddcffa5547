"""TransformerLens-style site names (``blocks.6.hook_resid_post``) mapped onto a Hugging Face causal LM's modules.

A site is read and replaced through a forward hook on one module: the block's output (``hook_resid_post``), its
input (``hook_resid_pre``, a pre-hook), the MLP's or the attention's output (``hook_mlp_out``, ``hook_attn_out``) or
the MLP's input (``hook_mlp_in``, a pre-hook on the MLP). Families: GPT-2, GPT-NeoX (Pythia), GPT-J, Llama (and the
Llama-shaped Mistral and Qwen2). SAELens names the site with the same string in ``hook_name``.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
from torch import nn

from interpctf.errors import InterpctfError

# model_type -> (path of the block list, attribute of the MLP, attribute of the attention)
FAMILIES: dict[str, tuple[str, str, str]] = {
    "gpt2": ("transformer.h", "mlp", "attn"),
    "gpt_neox": ("gpt_neox.layers", "mlp", "attention"),
    "gptj": ("transformer.h", "mlp", "attn"),
    "llama": ("model.layers", "mlp", "self_attn"),
    "mistral": ("model.layers", "mlp", "self_attn"),
    "qwen2": ("model.layers", "mlp", "self_attn"),
}
_NAME = re.compile(r"^blocks\.(\d+)\.(hook_resid_pre|hook_resid_post|hook_mlp_out|hook_attn_out|hook_mlp_in)$")

SiteFn = Callable[[torch.Tensor], torch.Tensor | None]  # the site's activation -> a replacement, or None to keep


class BadHook(InterpctfError):
    pass


@dataclass
class Site:
    name: str
    module: nn.Module
    before: bool  # the module's input (a pre-hook), else its output

    @contextmanager
    def hook(self, fn: SiteFn) -> Iterator[None]:
        """While active, ``fn`` sees the site's activation (batch, seq, d) on every forward pass; a tensor it
        returns replaces it."""
        if self.before:
            def pre(mod, args, kwargs):
                if args:
                    new = fn(args[0])
                    return None if new is None else ((new, *args[1:]), kwargs)
                new = fn(kwargs["hidden_states"])
                return None if new is None else (args, {**kwargs, "hidden_states": new})

            handle = self.module.register_forward_pre_hook(pre, with_kwargs=True)
        else:
            def post(mod, args, output):
                out = output[0] if isinstance(output, tuple) else output
                new = fn(out)
                if new is None:
                    return None
                return (new, *output[1:]) if isinstance(output, tuple) else new

            handle = self.module.register_forward_hook(post)
        try:
            yield
        finally:
            handle.remove()


def _get(root: nn.Module, path: str) -> nn.Module:
    for part in path.split("."):
        root = getattr(root, part)
    return root


def resolve_site(model: nn.Module, hook_name: str) -> Site:
    """The module and direction of ``hook_name`` in ``model``, or BadHook naming what is accepted."""
    match = _NAME.match(hook_name)
    if match is None:
        raise BadHook(f"--hook: {hook_name!r} is not a site name the lab maps; use blocks.N.hook_resid_post, "
                      "hook_resid_pre, hook_mlp_out, hook_attn_out or hook_mlp_in")
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    if model_type not in FAMILIES:
        raise BadHook(f"--model: the lab maps site names for {', '.join(FAMILIES)} models, not {model_type!r}")
    blocks_path, mlp, attn = FAMILIES[model_type]
    blocks = _get(model, blocks_path)
    layer, kind = int(match.group(1)), match.group(2)
    if layer >= len(blocks):
        raise BadHook(f"--hook: {hook_name!r}: the model has {len(blocks)} blocks (0..{len(blocks) - 1})")
    block = blocks[layer]
    if kind == "hook_resid_post":
        return Site(hook_name, block, before=False)
    if kind == "hook_resid_pre":
        return Site(hook_name, block, before=True)
    if kind == "hook_mlp_in":
        return Site(hook_name, getattr(block, mlp), before=True)
    return Site(hook_name, getattr(block, mlp if kind == "hook_mlp_out" else attn), before=False)
