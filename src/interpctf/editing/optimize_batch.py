"""The target vectors of many *independent* edits, optimized together in one batched forward per step.

Each edit has its own δ (a row of one [n_edits, d] tensor) added only at the lookup tokens of its own prompts, and
the loss is the sum of the edits' losses (:func:`interpctf.editing.optimize.optimize_vector`'s, term for term). A
sequence in the batch depends on its own edit's δ alone, so the gradient of the sum with respect to δ_e is the
gradient of edit e's loss, and Adam is elementwise: every row follows the same steps as its one-at-a-time
optimization. An edit that reaches the stopping likelihood is frozen from then on (its rows leave the batch), as the
loop would have stopped there. Only for edits that all start from the same model (ROME one at a time, MEMIT's targets); no footprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F

from interpctf.editing.hooks import Site, device_of, edit_site, record_sites
from interpctf.editing.hooks import frozen_weights
from interpctf.editing.optimize import pad_batch


@dataclass(frozen=True)
class VectorProblem:
    """One edit's prompts as token ids (special tokens included), their lookup tokens and the new target's ids."""

    rewrite: Sequence[Sequence[int]]
    rewrite_lookup: Sequence[int]
    target: Sequence[int]
    essence: Sequence[Sequence[int]]
    essence_lookup: Sequence[int]


class _Batch:
    """All problems' sequences in one padded batch, with each row's edit and the rows the losses read."""

    def __init__(self, problems: Sequence[VectorProblem], pad_id: int, device: torch.device):
        seqs: list[list[int]] = []
        owner, lookup, first = [], [], []
        nll_row, nll_pos, nll_label, ess_row = [], [], [], []
        self.n_rewrite, self.n_essence, self.t_len = [], [], []
        for e, p in enumerate(problems):
            if not p.target:
                raise ValueError(f"edit {e}: the target has no tokens")
            first.append(len(seqs))
            for r, look in zip(p.rewrite, p.rewrite_lookup):
                for t, token in enumerate(p.target):  # rewrite prompt predicts target token t at len - 1 + t
                    nll_row.append(len(seqs))
                    nll_pos.append(len(r) - 1 + t)
                    nll_label.append(token)
                seqs.append(list(r) + list(p.target[:-1]))
                owner.append(e)
                lookup.append(look)
            for s, look in zip(p.essence, p.essence_lookup):
                ess_row.append(len(seqs))
                seqs.append(list(s))
                owner.append(e)
                lookup.append(look)
            self.n_rewrite.append(len(p.rewrite))
            self.n_essence.append(len(p.essence))
            self.t_len.append(len(p.target))
        self.ids, lengths = pad_batch(seqs, pad_id, device)

        def tensor(values):
            return torch.tensor(values, dtype=torch.long, device=device)

        self.owner, self.lookup, self.first = tensor(owner), tensor(lookup), tensor(first)
        self.nll_row, self.nll_pos, self.nll_label = tensor(nll_row), tensor(nll_pos), tensor(nll_label)
        self.ess_row = tensor(ess_row)
        self.ess_pos = lengths[self.ess_row] - 1
        self.n = len(problems)

    def keep(self, active: torch.Tensor) -> "_Rows":
        """The rows of the active edits only: a stopped edit's sequences are no longer run."""
        kept = active[self.owner]
        new_index = torch.cumsum(kept, 0) - 1                                   # old row -> row in the view
        nll, ess = kept[self.nll_row], kept[self.ess_row]
        return _Rows(self.ids[kept], self.owner[kept], self.lookup[kept], new_index[self.nll_row[nll]],
                     self.nll_pos[nll], self.nll_label[nll], self.owner[self.nll_row[nll]], new_index[self.ess_row[ess]],
                     self.ess_pos[ess], self.owner[self.ess_row[ess]], ess)


@dataclass(frozen=True)
class _Rows:
    """A view of the batch: its sequences, and for each loss term the rows and positions read, and their edit."""

    ids: torch.Tensor
    owner: torch.Tensor
    lookup: torch.Tensor
    nll_row: torch.Tensor
    nll_pos: torch.Tensor
    nll_label: torch.Tensor
    nll_owner: torch.Tensor
    ess_row: torch.Tensor
    ess_pos: torch.Tensor
    ess_owner: torch.Tensor
    ess_kept: torch.Tensor  # which of the batch's essence entries are in the view


def _per_edit_sum(values: torch.Tensor, owner: torch.Tensor, n: int) -> torch.Tensor:
    return torch.zeros(n, dtype=values.dtype, device=values.device).index_add(0, owner, values)


def optimize_vectors(model, problems: Sequence[VectorProblem], site: Site, layer: int, params,
                     pad_id: int) -> torch.Tensor:
    """[n_edits, d]: each edit's v* (site "mlp") or z* (site "hidden") as ``optimize_vector`` finds it alone;
    ``params`` a :class:`~interpctf.editing.targets.TargetParams`."""
    device = device_of(model)
    b = _Batch(problems, pad_id, device)
    n_rw = torch.tensor(b.n_rewrite, dtype=torch.float32, device=device)
    n_ess = torch.tensor(b.n_essence, dtype=torch.float32, device=device).clamp(min=1)
    stop_at = params.stop_nll * torch.tensor(b.t_len, dtype=torch.float32, device=device)

    model.eval()
    with torch.no_grad(), record_sites(model, [(site, layer)]) as rec:
        logits = model(input_ids=b.ids).logits
        base_logp = F.log_softmax(logits[b.ess_row, b.ess_pos].float(), dim=-1)
    v0 = rec[(site, layer)][b.first, b.lookup[b.first]].float()                      # [n, d]
    delta = torch.zeros_like(v0, requires_grad=True)
    opt = torch.optim.Adam([delta], lr=params.lr)
    max_norm = params.clamp * v0.norm(dim=1)
    active = torch.ones(b.n, dtype=torch.bool, device=device)
    view = b.keep(active)

    def add_delta(x: torch.Tensor) -> torch.Tensor:
        x = x.clone()
        rows = torch.arange(x.shape[0], device=x.device)
        x[rows, view.lookup] = x[rows, view.lookup] + delta[view.owner].to(x.dtype)
        return x

    with frozen_weights(model), edit_site(model, site, layer, add_delta):
        for _ in range(params.steps):
            logits = model(input_ids=view.ids).logits
            logp = F.log_softmax(logits[view.nll_row, view.nll_pos].float(), dim=-1)
            token_nll = -logp.gather(-1, view.nll_label[:, None]).squeeze(-1)
            nll = _per_edit_sum(token_nll, view.nll_owner, b.n) / n_rw           # 0 for stopped edits
            loss = nll
            if len(view.ess_row):
                ess_logp = F.log_softmax(logits[view.ess_row, view.ess_pos].float(), dim=-1)
                base = base_logp[view.ess_kept]
                kl = (base.exp() * (base - ess_logp)).sum(-1)                        # KL(base ‖ edited) per row
                loss = loss + params.kl_weight * _per_edit_sum(kl, view.ess_owner, b.n) / n_ess
            loss = loss + params.norm_weight * delta.pow(2).sum(1) / v0.pow(2).sum(1)
            still = active & (nll.detach() >= stop_at)
            if not bool(still.any()):
                break
            if not torch.equal(still, active):
                active, view = still, b.keep(still)  # the next steps run the active edits' rows alone
            opt.zero_grad()
            loss[active].sum().backward()
            frozen = delta.detach()[~active].clone()
            opt.step()
            with torch.no_grad():
                delta[~active] = frozen  # Adam's momentum would still move a stopped edit
                scale = (max_norm / delta.norm(dim=1)).clamp(max=1.0)
                delta.mul_(scale[:, None])
    return (v0 + delta.detach()).double()
