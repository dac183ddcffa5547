"""TopK and BatchTopK SAEs, with the auxiliary loss that revives dead latents (Gao et al. 2024).

TopK keeps the k largest pre-activations of each sample. BatchTopK keeps the ``k * batch`` largest across the batch,
so samples may use more or fewer latents; at inference it uses one threshold, estimated during training as a running
mean of the smallest selected activation, and so saves as a JumpReLU SAE with that threshold everywhere.

Training is sparse (``sparse_ops.py``): the dense pre-activations are computed without autograd and only choose the
latents; the chosen ones are recomputed with autograd from the k chosen columns of W_enc
(``gathered_pre``) and decoded from the k chosen rows of W_dec (``sparse_decode``). With k = 7 of 512 latents that
is about 1/70 of the dense work, forward and backward, and the gradient never forms the dense (batch, d_sae) matrix
nor the products it would feed. The loss and gradients are those of the dense computation
(tests/lab/saes/test_topk_sparse.py).
"""

from __future__ import annotations

import torch
from typing import Callable

from interpctf.lab.saes.base import SAE, LossParts, fired_of, sum_sq
from interpctf.lab.saes.sparse_ops import gathered_pre, scratch_tensor, sparse_decode


def _scatter_topk(pre: torch.Tensor, k: int) -> torch.Tensor:
    vals, idx = pre.topk(k, dim=-1, sorted=False)
    return torch.zeros_like(pre).scatter_(-1, idx, torch.relu(vals))


class _TopKBase(SAE):
    needs_k = True
    unit_decoder = True

    def aux_loss(self, pre: torch.Tensor, error: torch.Tensor, dead_mask: torch.Tensor | None,
                 values: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
        """Reconstruct the main loss's residual from the top ``aux_k`` dead latents only: gradient reaches latents
        that the top-k selection would otherwise never pick, pulling them toward what is still unexplained.
        ``error``: the main reconstruction's ``y_hat - y``, detached (the residual is its negation).

        ``values(idx)``: the pre-activations at ``idx`` with autograd, when ``pre`` itself has none (the sparse path)."""
        if dead_mask is None or self.config.aux_coefficient == 0:
            return pre.new_zeros(())
        dead_idx = dead_mask.nonzero().squeeze(1)
        if dead_idx.numel() == 0:
            return pre.new_zeros(())
        k_aux = min(self.config.aux_k or max(self.d_out // 2, 1), dead_idx.numel())
        vals, local = pre.index_select(1, dead_idx).topk(k_aux, dim=-1, sorted=False)
        idx = dead_idx[local]
        if values is not None:
            vals = values(idx)
        # ReLU kept (measured: dropping it, as SAELens does, lowered explained variance 0.836 -> 0.801 here).
        residual_hat = sparse_decode(torch.relu(vals), idx, self.W_dec)
        # Normalize by the residual's size so the coefficient does not depend on how well the SAE already does.
        denom = error.pow(2).sum(dim=-1).mean().clamp_min(1e-8)
        return (residual_hat + error).pow(2).sum(dim=-1).mean() / denom

    def _sparse_step(self, pre: torch.Tensor, vals: torch.Tensor, idx: torch.Tensor, y: torch.Tensor,
                     dead_mask: torch.Tensor | None,
                     values: Callable[[torch.Tensor], torch.Tensor] | None = None) -> LossParts:
        error = sparse_decode(vals, idx, self.W_dec) + self.b_dec - y
        mse = error.pow(2).sum(dim=-1).mean()
        aux = self.aux_loss(pre, error.detach(), dead_mask, values)
        with torch.no_grad():  # codes are >= 0, so a latent fired iff its codes' sum is positive
            fired = vals.new_zeros(self.d_sae).index_add_(0, idx.reshape(-1), vals.reshape(-1)) > 0
        return LossParts(mse + self.config.aux_coefficient * aux, {"mse": mse, "aux": aux}, fired)


class TopKSAE(_TopKBase):
    name = "topk"
    saelens_architecture = "topk"

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return _scatter_topk(self.pre_acts(x), self.config.k)

    def _pre_at(self, x_in: torch.Tensor, pre: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        b_dec = self.b_dec if self.apply_b_dec_to_input else None
        return gathered_pre(x_in, self.W_enc, self.b_enc, b_dec, pre, idx)

    def train_step_loss(self, x, y, sparsity_coefficient, dead_mask) -> LossParts:
        with torch.no_grad():  # only chooses the latents; their values are recomputed below with autograd
            x_in = x - self.b_dec if self.apply_b_dec_to_input else x
            # Into a reused buffer: pre is dead once this step's loss is formed (the backward never reads it).
            pre = torch.addmm(self.b_enc, x_in, self.W_enc, out=scratch_tensor("pre", (x.shape[0], self.d_sae), x_in))
            idx = pre.topk(self.config.k, dim=-1, sorted=False).indices
        return self._sparse_step(pre, torch.relu(self._pre_at(x_in, pre, idx)), idx, y, dead_mask,
                                 lambda i: self._pre_at(x_in, pre, i))

    def saelens_cfg_extra(self) -> dict:
        return {"k": self.config.k, "rescale_acts_by_decoder_norm": False}


class BatchTopKSAE(_TopKBase):
    name = "batchtopk"
    saelens_architecture = "jumprelu"
    saelens_transcoder_architecture = "jumprelu_transcoder"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("threshold_estimate", torch.tensor(-1.0))

    def _batch_topk(self, pre: torch.Tensor) -> torch.Tensor:
        acts = torch.relu(pre)
        flat = acts.flatten()
        n = min(self.config.k * pre.shape[0], flat.numel())
        vals, idx = flat.topk(n, sorted=False)
        return torch.zeros_like(flat).scatter_(0, idx, vals).view_as(acts)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.pre_acts(x)
        if self.threshold_estimate < 0:  # never trained: fall back to the batch rule
            return self._batch_topk(pre)
        return pre * (pre > self.threshold_estimate)

    def train_step_loss(self, x, y, sparsity_coefficient, dead_mask) -> LossParts:
        pre = self.pre_acts(x)
        codes = self._batch_topk(pre)
        with torch.no_grad():
            positive = codes[codes > 0]
            if positive.numel():
                smallest = positive.min()
                t = self.threshold_estimate
                self.threshold_estimate.copy_(smallest if t < 0 else 0.99 * t + 0.01 * smallest)
        y_hat = self.decode(codes)
        mse = sum_sq(y_hat, y)
        aux = self.aux_loss(pre, (y_hat - y).detach(), dead_mask)
        return LossParts(mse + self.config.aux_coefficient * aux, {"mse": mse, "aux": aux}, fired_of(codes))

    def saelens_state(self) -> dict[str, torch.Tensor]:
        state = {k: getattr(self, k).detach().clone() for k in ("W_enc", "b_enc", "W_dec", "b_dec")}
        state["threshold"] = torch.full((self.d_sae,), float(self.threshold_estimate.clamp_min(0)))
        return state

    def load_saelens_state(self, state: dict[str, torch.Tensor]) -> None:
        state = dict(state)
        self.threshold_estimate.copy_(state.pop("threshold").max())
        for k, v in state.items():
            getattr(self, k).data.copy_(v)
