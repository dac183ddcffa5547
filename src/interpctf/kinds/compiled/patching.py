"""Interchange interventions on the compiled model, with torch forward hooks.

For a claimed site (an attention head's write into the residual stream, or an MLP's) and optionally a subspace
(rows of ``basis``), the base run's activation there becomes ``base + (source - base) P``, P the orthogonal
projection onto the subspace (the identity without one): the site then carries the source run's value of the
variable and nothing else changes. The model's output after the intervention is compared with what the
hypothesis predicts.
"""

from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np
import torch

from interpctf.kinds.compiled.net import CompiledTransformer


def site_module(model: CompiledTransformer, layer: int, component: str) -> torch.nn.Module:
    block = model.blocks[layer]
    return block.attn.hook_result if component == "attn" else block.mlp.hook_out


def projector(basis: list[list[float]] | np.ndarray | None, d_model: int) -> torch.Tensor | None:
    if basis is None:
        return None
    q, _ = np.linalg.qr(np.asarray(basis, dtype=np.float64).T)  # orthonormal columns spanning the rows
    return torch.as_tensor(q @ q.T, dtype=torch.float32)


@contextmanager
def _hooked(module: torch.nn.Module, fn: Callable[..., Any]) -> Iterator[None]:
    handle = module.register_forward_hook(fn)
    try:
        yield
    finally:
        handle.remove()


@torch.no_grad()
def interchange(model: CompiledTransformer, base: np.ndarray, source: np.ndarray, layer: int, component: str,
                head: int | None, basis: list[list[float]] | np.ndarray | None) -> np.ndarray:
    """The model's output indices [N, n] on ``base`` with the site patched from ``source`` (vocab indices)."""
    module = site_module(model, layer, component)
    proj = projector(basis, model.cfg.d_model)
    captured: list[torch.Tensor] = []
    with _hooked(module, lambda m, i, out: captured.append(out)):
        model(model.with_bos(torch.from_numpy(source)))
    src = captured[0]

    def patch(m: torch.nn.Module, inputs: object, out: torch.Tensor) -> torch.Tensor:
        sel = (slice(None), slice(None), head) if component == "attn" else (slice(None),)
        delta = src[sel] - out[sel]
        out = out.clone()
        out[sel] = out[sel] + (delta if proj is None else delta @ proj)
        return out

    with _hooked(module, patch):
        logits = model(model.with_bos(torch.from_numpy(base)))
    return logits[:, 1:].argmax(-1).numpy()
