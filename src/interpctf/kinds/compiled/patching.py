"""Interchange interventions on the compiled model: where each claimed site is, for :mod:`interpctf.circuits`.

A site is an attention head's write into the residual stream (``hook_result``, [batch, pos, head, d_model]) or
an MLP's (``hook_out``), at every position; a basis gives the subspace of that write. Base and source run as one
batch with the hook patching the base half (:func:`interpctf.circuits.patching.interchange`).
"""

import numpy as np
import torch

from interpctf.circuits.patching import Patch, interchange, projector
from interpctf.circuits.sites import SiteClaim
from interpctf.kinds.compiled.net import CompiledTransformer


def site_patch(model: CompiledTransformer, claim: SiteClaim) -> Patch:
    block = model.blocks[claim.layer]
    if claim.component == "attn":
        return Patch(block.attn.hook_result, (slice(None), claim.head), projector(claim.basis))
    return Patch(block.mlp.hook_out, (), projector(claim.basis))


def patched_outputs(model: CompiledTransformer, base: np.ndarray, source: np.ndarray,
                    claim: SiteClaim) -> np.ndarray:
    """The model's output indices [N, n] on ``base`` with the site patched from ``source`` (vocab indices)."""
    ids = model.with_bos(torch.from_numpy(np.concatenate([base, source])))
    logits = interchange(model, ids[: len(base)], ids[len(base):], site_patch(model, claim))
    return logits[:, 1:].argmax(-1).numpy()


def all_sites(n_layers: int, n_heads: int) -> list[SiteClaim]:
    """Every site in the order the model computes them (a layer's heads, then its MLP)."""
    return [site for layer in range(n_layers) for site in
            [*(SiteClaim(layer=layer, component="attn", head=h) for h in range(n_heads)),
             SiteClaim(layer=layer, component="mlp")]]
