"""Reading and writing the internals of a Hugging Face causal LM with forward hooks.

Names follow ROME: at layer l the MLP *key* k is the input of the MLP's output projection (GPT-2's
``mlp.c_proj``, Llama's ``mlp.down_proj``, ...: :mod:`interpctf.editing.families`) and the *value* is its
output. Which module that is, and how its weight is stored, comes from the family table.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator, Literal

import torch

from interpctf.editing.families import add_to_proj_weight, block_part, blocks, embedding, proj_weight
from interpctf.editing.families import n_layers as n_layers  # re-exported: callers count layers through hooks

Site = Literal["hidden", "mlp", "attn", "embed"]


def device_of(model) -> torch.device:
    return next(model.parameters()).device


def site_module(model, site: Site, layer: int = 0):
    """The module whose output is the named site: block output (residual stream), MLP output, attention output,
    or the token embedding (before positions are added)."""
    if site == "embed":
        return embedding(model)
    if site == "hidden":
        return blocks(model)[layer]
    return block_part(model, layer, site)


def mlp_proj(model, layer: int):
    return block_part(model, layer, "mlp_out")


def mlp_weight(model, layer: int) -> torch.Tensor:
    """``W`` of ROME's ``v = W k + b``: shape [d_model, d_mlp] (see :mod:`interpctf.editing.families`)."""
    return proj_weight(model, layer)


def add_to_mlp_weight(model, layer: int, delta_w: torch.Tensor) -> None:
    """``W += delta_w`` for ``delta_w`` of shape [d_model, d_mlp], in the family's storage orientation."""
    add_to_proj_weight(model, layer, delta_w)


def _edit_output(output, fn: Callable[[torch.Tensor], torch.Tensor]):
    if isinstance(output, tuple):
        return (fn(output[0]),) + tuple(output[1:])
    return fn(output)


def _first(output) -> torch.Tensor:
    return output[0] if isinstance(output, tuple) else output


@contextmanager
def frozen_weights(model) -> Iterator[None]:
    """While active, no model parameter requires grad (only the vector being optimized does); restored after."""
    requires = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)
    try:
        yield
    finally:
        for p, r in zip(model.parameters(), requires):
            p.requires_grad_(r)


@contextmanager
def edit_site(model, site: Site, layer: int, fn: Callable[[torch.Tensor], torch.Tensor]) -> Iterator[None]:
    """While active, the site's output ``x`` ([batch, seq, d]) is replaced by ``fn(x)``."""
    handle = site_module(model, site, layer).register_forward_hook(lambda m, i, o: _edit_output(o, fn))
    try:
        yield
    finally:
        handle.remove()


@contextmanager
def record_sites(model, sites: list[tuple[Site, int]]) -> Iterator[dict[tuple[Site, int], torch.Tensor]]:
    """Records each site's output of the next forward passes (the last one wins) into the yielded dict."""
    store: dict[tuple[Site, int], torch.Tensor] = {}
    handles = []
    for site, layer in sites:
        def hook(m, i, o, key=(site, layer)):
            store[key] = _first(o).detach()
        handles.append(site_module(model, site, layer).register_forward_hook(hook))
    try:
        yield store
    finally:
        for h in handles:
            h.remove()


@contextmanager
def record_keys(model, layers: list[int]) -> Iterator[dict[int, torch.Tensor]]:
    """Records the MLP keys (inputs of the MLP output projection) at ``layers`` of the next forward pass."""
    store: dict[int, torch.Tensor] = {}
    handles = []
    for layer in layers:
        def hook(m, args, layer=layer):
            store[layer] = args[0].detach()
        handles.append(mlp_proj(model, layer).register_forward_pre_hook(hook))
    try:
        yield store
    finally:
        for h in handles:
            h.remove()


def encode(tokenizer, prompts: list[str], device: torch.device | str | None = None
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids and each prompt's length (positions of real tokens are unaffected by padding)."""
    enc = tokenizer(prompts, return_tensors="pt", padding=True)
    ids, lengths = enc["input_ids"], enc["attention_mask"].sum(dim=1)
    return (ids, lengths) if device is None else (ids.to(device), lengths.to(device))


def subject_last_index(tokenizer, prompt: str, subject: str) -> int:
    """Position of the subject's last token in ``prompt`` (with BOS). Subjects are single words here, but we
    search the token sequence so multi-token subjects would work too."""
    ids = tokenizer(prompt)["input_ids"]
    sub = tokenizer(subject, add_special_tokens=False)["input_ids"]
    for start in range(len(ids) - len(sub), -1, -1):
        if ids[start:start + len(sub)] == sub:
            return start + len(sub) - 1
    raise ValueError(f"subject {subject!r} not in prompt {prompt!r}")


def subject_span(tokenizer, prompt: str, subject: str) -> tuple[int, int]:
    last = subject_last_index(tokenizer, prompt, subject)
    n = len(tokenizer(subject, add_special_tokens=False)["input_ids"])
    return last - n + 1, last + 1
