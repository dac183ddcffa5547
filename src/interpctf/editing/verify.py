"""The editors check their own result: after an update, does the edited model prefer the new target on the
request prompt? If not, the target vector is optimized again under a looser budget, a bounded number of times.

Why: ROME's norm penalty and clamp (eq. 4's ‖δ‖ terms) trade efficacy for a small update. On the tiny test
models the default budget left the new target behind the true one on 2-3 record seeds of 5 per family
(GPT-2 excepted), and with no norm penalty and a 16× clamp every seed succeeded (measured, Llama tiny model).
The schedule therefore first keeps ROME's settings, then drops the penalty and widens the clamp and the number
of steps; the result reports how many rounds each record needed and whether it succeeded, never a silent miss.
"""

from __future__ import annotations

from interpctf.editing.counterfact import CounterFactRecord
from interpctf.editing.score import target_logprobs
from interpctf.editing.targets import TargetParams


def round_params(params: TargetParams, round_: int) -> TargetParams:
    """The target-optimization budget of verification round ``round_`` (0: the caller's own settings)."""
    if round_ == 0:
        return params
    return params.model_copy(update={"norm_weight": 0.0, "kl_weight": params.kl_weight / 2 ** round_,
                                     "clamp": params.clamp * 4 ** round_, "steps": params.steps * (1 + round_)})


def new_target_wins(model, tokenizer, rec: CounterFactRecord) -> bool:
    """Efficacy on the record's own prompt: P(new) > P(true), each the product of its token probabilities."""
    rw = rec.requested_rewrite
    new = target_logprobs(model, tokenizer, [rec.prompt], rw.target_new.text)[0]
    true = target_logprobs(model, tokenizer, [rec.prompt], rw.target_true.text)[0]
    return new > true
