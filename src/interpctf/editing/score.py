"""CounterFact scores of CounterFact records on any causal LM: P(target | prompt) is the product of the target's
token probabilities (ROME §3.2's scoring), compared between the new and the true target on the rewrite prompt
(efficacy), the paraphrase prompts and the neighbourhood prompts (see :mod:`interpctf.editing.metrics`)."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from interpctf.editing.counterfact import CounterFactRecord, prompt_ids, target_ids
from interpctf.editing.hooks import device_of
from interpctf.editing.metrics import counterfact_summary
from interpctf.editing.optimize import pad_batch


def _pad_id(tokenizer) -> int:
    pad = tokenizer.pad_token_id
    return int(pad if pad is not None else (tokenizer.eos_token_id or 0))


@torch.no_grad()
def target_logprobs(model, tokenizer, prompts: Sequence[str], target: str, batch_size: int = 64) -> list[float]:
    """log P(target | prompt) = Σ_t log P(target_t | prompt, target_<t) for each prompt."""
    model.eval()
    out: list[float] = []
    for start in range(0, len(prompts), batch_size):
        chunk = prompts[start:start + batch_size]
        pids = [prompt_ids(tokenizer, p) for p in chunk]
        tids = [target_ids(tokenizer, p, target) for p in chunk]
        ids, _ = pad_batch([p + t for p, t in zip(pids, tids)], _pad_id(tokenizer), device_of(model))
        logp = F.log_softmax(model(input_ids=ids).logits.float(), dim=-1)
        for row, (p, t) in enumerate(zip(pids, tids)):
            pos = torch.arange(len(p) - 1, len(p) - 1 + len(t), device=ids.device)
            out.append(float(logp[row, pos, torch.tensor(t, device=ids.device)].sum()))
    return out


def _p_new_true(model, tokenizer, prompts: list[str], rec: CounterFactRecord) -> tuple[list[float], list[float]]:
    rw = rec.requested_rewrite
    new = target_logprobs(model, tokenizer, prompts, rw.target_new.text)
    true = target_logprobs(model, tokenizer, prompts, rw.target_true.text)
    return [float(torch.tensor(v).exp()) for v in new], [float(torch.tensor(v).exp()) for v in true]


def record_metrics(model, tokenizer, records: Sequence[CounterFactRecord]) -> dict[str, float]:
    """Efficacy, paraphrase and neighbourhood scores (and magnitudes, harmonic-mean score) of ``model`` on the
    records. A group no record has prompts for (e.g. no paraphrases given) is left out of the result."""
    groups: dict[str, tuple[list[float], list[float]]] = {"efficacy": ([], []), "paraphrase": ([], []),
                                                          "neighborhood": ([], [])}
    for rec in records:
        for name, prompts in (("efficacy", [rec.prompt]), ("paraphrase", list(rec.paraphrase_prompts)),
                              ("neighborhood", list(rec.neighborhood_prompts))):
            if prompts:
                p_new, p_true = _p_new_true(model, tokenizer, prompts, rec)
                groups[name][0].extend(p_new)
                groups[name][1].extend(p_true)
    # counterfact_summary needs every group; an empty one is stood in by a neutral pair and then dropped
    filled = {k: v if v[0] else ([1.0], [0.0]) for k, v in groups.items()}
    summary = counterfact_summary(filled["efficacy"], filled["paraphrase"], filled["neighborhood"])
    for name, (p_new, _) in groups.items():
        if not p_new:
            summary.pop(name)
            summary.pop(f"{name}_magnitude")
            summary.pop("score", None)
    return summary
