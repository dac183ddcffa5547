"""The target vector of an edit, found by gradient descent on token ids: the part of ROME and MEMIT that does not
depend on where the prompts come from (the world's templates or CounterFact records).

ROME §3.1 step 2 (eq. 4) and MEMIT eq. 16: a vector δ is added at the lookup token of every rewrite prompt and
optimized so that the new target follows each prompt, with a KL term that keeps the subject's "essence"
prompts' next-token distributions, and a penalty on ‖δ‖² relative to the original vector's, which is also
clamped to a multiple of that norm. A target of several tokens is optimized as a whole: the prompt is followed
by the target's first T−1 tokens and the loss is the mean over prompts of −Σ_t log P(target_t | prompt,
target_<t), i.e. the negative log of the product of the token probabilities (how CounterFact scores a target).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import torch
import torch.nn.functional as F

from interpctf.editing.families import proj_bias
from interpctf.editing.hooks import Site, device_of, edit_site, mlp_weight, record_keys, record_sites


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids and lengths. With causal attention, padding after a sequence changes nothing before it,
    so no attention mask is needed for the positions that are read."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(list(s), dtype=torch.long)
    return ids.to(device), torch.tensor([len(s) for s in seqs], device=device)


@contextmanager
def frozen_weights(model) -> Iterator[None]:
    """While active, no gradient is taken for the model's parameters (only for the vector being optimized)."""
    requires = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)
    try:
        yield
    finally:
        for p, r in zip(model.parameters(), requires):
            p.requires_grad_(r)


@torch.no_grad()
def keys_at(model, seqs: Sequence[Sequence[int]], lookup: Sequence[int], layers: list[int], pad_id: int
            ) -> dict[int, torch.Tensor]:
    """k* per layer: the MLP key at each sequence's lookup token, averaged over the sequences (ROME eq. 3)."""
    ids, _ = pad_batch(seqs, pad_id, device_of(model))
    rows = torch.arange(len(seqs), device=ids.device)
    idx = torch.tensor(list(lookup), device=ids.device)
    with record_keys(model, layers) as keys:
        model(input_ids=ids)
    return {layer: keys[layer][rows, idx].double().mean(dim=0) for layer in layers}


@torch.no_grad()
def vector_at(model, seq: Sequence[int], index: int, site: Site, layer: int, pad_id: int) -> torch.Tensor:
    """The site's output at one token of one sequence."""
    ids, _ = pad_batch([seq], pad_id, device_of(model))
    with record_sites(model, [(site, layer)]) as rec:
        model(input_ids=ids)
    return rec[(site, layer)][0, index]


def optimize_vector(model, rewrite: Sequence[Sequence[int]], rewrite_lookup: Sequence[int], target: Sequence[int],
                    essence: Sequence[Sequence[int]], essence_lookup: Sequence[int], site: Site, layer: int,
                    params, pad_id: int, footprint: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """v* (site "mlp": the MLP output, ROME) or z* (site "hidden": the residual stream, MEMIT): the original
    vector at the lookup token of ``rewrite[0]`` plus the optimized δ. ``rewrite`` and ``essence`` are token id
    sequences of prompts (special tokens included), ``target`` the new target's ids; ``params`` a
    :class:`~interpctf.editing.targets.TargetParams`.

    ``footprint`` = (u, k*) of the rank-one update that will write v* (site "mlp" only, u = C⁻¹k*): δ is then
    optimized through that update's real effect instead of at the lookup tokens alone. The update adds
    (uᵀk_j / uᵀk*) · (v* − W k* − b) at *every* token j, so it fires below full strength at a rewrite prompt
    whose own key is not k* (k* is averaged over contexts, and C⁻¹ magnifies their differences: measured on the
    tiny test models, 0.2-0.8 of full strength) and it also fires at the target's own tokens, moving the later
    tokens of a multi-token target. Optimizing through it makes what is optimized what the edited model does."""
    if not target:
        raise ValueError("the target has no tokens")
    device = device_of(model)
    t_len = len(target)
    seqs = [list(r) + list(target[:-1]) for r in rewrite] + [list(e) for e in essence]
    ids, lengths = pad_batch(seqs, pad_id, device)
    n_rw = len(rewrite)
    rows = torch.arange(len(seqs), device=device)
    lookup = torch.tensor(list(rewrite_lookup) + list(essence_lookup), device=device)
    # Rewrite prompt i predicts target token t at position len(prompt_i) - 1 + t; essence prompts at their end.
    prompt_end = torch.tensor([len(r) - 1 for r in rewrite], device=device)
    pred_pos = prompt_end[:, None] + torch.arange(t_len, device=device)[None, :]            # [n_rw, T]
    labels = torch.tensor(list(target), device=device)[None, :].expand(n_rw, t_len)
    essence_last = lengths[n_rw:] - 1

    model.eval()
    with torch.no_grad():
        logits = model(input_ids=ids).logits
        base_logp = F.log_softmax(logits[rows[n_rw:], essence_last].float(), dim=-1)
    v0 = vector_at(model, rewrite[0], rewrite_lookup[0], site, layer, pad_id).float()
    delta = torch.zeros_like(v0, requires_grad=True)
    opt = torch.optim.Adam([delta], lr=params.lr)
    max_norm = params.clamp * v0.norm()

    fire = base = None
    if footprint is not None:
        u, k_star = (t.double() for t in footprint)
        w = mlp_weight(model, layer).double()
        bias = proj_bias(model, layer).double().to(w.device)
        with torch.no_grad(), record_keys(model, [layer]) as keys:
            model(input_ids=ids)  # the keys at the edited layer do not depend on its output, so on δ
        fire = (keys[layer].double() @ u / (u @ k_star)).float()             # [batch, seq]
        base = (v0.double() - (w @ k_star + bias)).float()                   # v* − W k* − b at δ = 0

    def add_delta(x: torch.Tensor) -> torch.Tensor:
        if fire is not None and base is not None:
            return x + fire[..., None].to(x.dtype) * (base + delta).to(x.dtype)
        x = x.clone()
        x[rows, lookup] = x[rows, lookup] + delta.to(x.dtype)
        return x

    with frozen_weights(model), edit_site(model, site, layer, add_delta):
        for _ in range(params.steps):
            logits = model(input_ids=ids).logits
            rw_logp = F.log_softmax(logits[rows[:n_rw, None], pred_pos].float(), dim=-1)     # [n_rw, T, V]
            nll = -rw_logp.gather(-1, labels[..., None]).squeeze(-1).sum(dim=1).mean()
            loss = nll
            if essence:
                logp = F.log_softmax(logits[rows[n_rw:], essence_last].float(), dim=-1)
                loss = loss + params.kl_weight * F.kl_div(logp, base_logp, log_target=True,
                                                          reduction="batchmean")
            loss = loss + params.norm_weight * delta.pow(2).sum() / v0.pow(2).sum()
            if nll.item() < params.stop_nll * t_len:
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                if delta.norm() > max_norm:
                    delta.mul_(max_norm / delta.norm())
    return (v0 + delta.detach()).double()
