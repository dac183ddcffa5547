"""ROME and MEMIT on CounterFact records, for any causal LM the family table knows.

The same closed forms as :mod:`interpctf.editing.rome` (ROME eq. 2) and :mod:`interpctf.editing.memit` (MEMIT
eq. 14); only the prompts differ from the world editor's. Rewrite contexts are the record's prompt behind
random prefixes the model writes itself (ROME §3.1 samples them from the model, so the key k* does not depend
on one context); the essence prompt is "{subject} is a" (ROME's KL prompt), which keeps what the model says the
subject is. The lookup token is the subject's last token (ROME's choice, where tracing locates facts in GPT-2
XL) or the prompt's last token (where the world-trained models look facts up, see tracing.py).
"""

from __future__ import annotations

import torch

from interpctf.editing.counterfact import CounterFactRecord, prompt_ids, subject_end, target_ids
from interpctf.editing.families import block_part, proj_bias
from interpctf.editing.hooks import add_to_mlp_weight, device_of, mlp_weight
from interpctf.editing.memit import MemitParams
from interpctf.editing.optimize import keys_at, optimize_vector, vector_at
from interpctf.editing.rome import RomeParams, rank_one_update, update_direction
from interpctf.editing.score import _pad_id
from interpctf.editing.spread import optimize_residuals, spread_projections, spread_update
from interpctf.editing.targets import TargetParams
from interpctf.editing.verify import new_target_wins, round_params

ESSENCE = "{} is a"
PREFIX_TOKENS = 8


@torch.no_grad()
def model_prefixes(model, tokenizer, n: int, seed: int, length: int = PREFIX_TOKENS) -> list[str]:
    """"" plus n-1 short texts sampled from the model (top-k 5), deterministic in ``seed``."""
    if n <= 1:
        return [""]
    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    gen = torch.Generator().manual_seed(seed)
    ids = torch.full((n - 1, 1), int(start if start is not None else 0), dtype=torch.long)
    for _ in range(length):
        logits = model(input_ids=ids.to(device_of(model))).logits[:, -1].float().cpu()
        top = torch.topk(logits, min(5, logits.shape[-1]))
        pick = torch.multinomial(torch.softmax(top.values, -1), 1, generator=gen)
        ids = torch.cat([ids, top.indices.gather(1, pick)], dim=1)
    texts = tokenizer.batch_decode(ids[:, 1:], skip_special_tokens=True)
    return [""] + [t.strip() + " " if t.strip() else "" for t in texts]


class _Request:
    """One record as token ids: rewrite contexts, essence prompt, lookup tokens, the new target's ids."""

    def __init__(self, model, tokenizer, rec: CounterFactRecord, params: TargetParams, seed: int):
        rw = rec.requested_rewrite
        prompts = [p + rec.prompt for p in model_prefixes(model, tokenizer, params.n_prefixes, seed)]
        essence = [ESSENCE.replace("{}", rw.subject)]
        self.rewrite = [prompt_ids(tokenizer, p) for p in prompts]
        self.essence = [prompt_ids(tokenizer, p) for p in essence]
        self.lookup = [self._index(tokenizer, p, ids, rw.subject, params) for p, ids in zip(prompts, self.rewrite)]
        self.essence_lookup = [self._index(tokenizer, p, ids, rw.subject, params)
                               for p, ids in zip(essence, self.essence)]
        self.target = target_ids(tokenizer, rec.prompt, rw.target_new.text)
        self.pad = _pad_id(tokenizer)

    @staticmethod
    def _index(tokenizer, prompt: str, ids: list[int], subject: str, params: TargetParams) -> int:
        return len(ids) - 1 if params.position == "last" else subject_end(tokenizer, prompt, subject)

    def vector(self, model, site, layer: int, params: TargetParams,
               footprint: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        return optimize_vector(model, self.rewrite, self.lookup, self.target, self.essence, self.essence_lookup,
                               site, layer, params, self.pad, footprint)

    def keys(self, model, layer: int) -> torch.Tensor:
        return keys_at(model, self.rewrite, self.lookup, [layer], self.pad)[layer]

    def hidden(self, model, layer: int) -> torch.Tensor:
        return vector_at(model, self.rewrite[0], self.lookup[0], "hidden", layer, self.pad).double()


def rome_records_inplace(model, tokenizer, records: list[CounterFactRecord], cov: torch.Tensor,
                         params: RomeParams, seed: int = 0) -> list[dict]:
    """ROME, one record after the other, each a rank-one update of ``params.layer``, each verified (the edited
    model must prefer the new target on the record's prompt; otherwise v* is optimized again under the next
    budget of :func:`~interpctf.editing.verify.round_params`); per-record diagnostics, "verified" among them."""
    out = []
    layer = params.layer
    weight = block_part(model, layer, "mlp_out").weight
    for i, rec in enumerate(records):
        req = _Request(model, tokenizer, rec, params.target, seed + i)
        k = req.keys(model, layer)
        c = cov.double().to(k.device)
        u = update_direction(c, k, params.ridge)
        w = mlp_weight(model, layer).double()
        b = proj_bias(model, layer).double().to(w.device)
        saved = weight.detach().clone()
        for round_ in range(params.target.verify_rounds):
            with torch.no_grad():
                weight.copy_(saved)  # each round replaces the previous round's update, exactly
            v = req.vector(model, "mlp", layer, round_params(params.target, round_), (u, k))
            delta = rank_one_update(w, b, c, k, v, params.ridge)
            add_to_mlp_weight(model, layer, delta)
            won = new_target_wins(model, tokenizer, rec)
            if won:
                break
        out.append({"delta_norm": float(delta.norm()), "w_norm": float(w.norm()), "rounds": round_ + 1,
                    "verified": won})
    return out


def memit_records_inplace(model, tokenizer, records: list[CounterFactRecord], covs: dict[int, torch.Tensor],
                          params: MemitParams, seed: int = 0) -> list[dict]:
    """MEMIT, all records at once over ``params.layers``: ΔW_l = (R / n) K_lᵀ(λC₀ + K_lK_lᵀ)⁻¹ (MEMIT eq. 14)
    with the residuals R optimized through those very updates (:mod:`interpctf.editing.spread`), verified: while some
    record's new target does not win on its prompt, the update is replaced by one optimized under the next
    budget (:func:`~interpctf.editing.verify.round_params`); per-record diagnostics."""
    layers = sorted(params.layers)
    reqs = [_Request(model, tokenizer, rec, params.target, seed + i) for i, rec in enumerate(records)]
    keys = {layer: torch.stack([r.keys(model, layer) for r in reqs], 1) for layer in layers}
    projections = spread_projections(keys, covs, params.lam)
    scales = torch.stack([r.hidden(model, layers[-1]).norm() for r in reqs])
    weights = {layer: block_part(model, layer, "mlp_out").weight for layer in layers}
    saved = {layer: w.detach().clone() for layer, w in weights.items()}
    for round_ in range(params.target.verify_rounds):
        with torch.no_grad():
            for layer, w in weights.items():
                w.copy_(saved[layer])
        residual = optimize_residuals(model, reqs, projections, scales, round_params(params.target, round_),
                                      reqs[0].pad)
        for layer in layers:
            add_to_mlp_weight(model, layer, spread_update(residual, projections[layer], len(layers)))
        won = [new_target_wins(model, tokenizer, rec) for rec in records]
        if all(won):
            break
    return [{"rounds": round_ + 1, "verified": ok} for ok in won]
