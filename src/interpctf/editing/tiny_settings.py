"""The edit settings for the tiny models of :mod:`interpctf.nets.tiny_lm` (tests and benchmarks share them).

Two layers. The key is read at the prompt's last token, where these models look facts up (causal tracing, see
tracing.py: their attention moves the subject to the end), at the first layer whose MLP sees that context (layer 0,
or 1 in the parallel blocks of GPT-J and GPT-NeoX, whose layer-0 MLP reads each token alone: there an edit is not
about the subject: ROME's neighbourhood score over record seeds 0-4 was 0.23 at layer 0 and 0.90 at layer 1 on
GPT-J, 0.20 and 0.74 on GPT-NeoX, benchmarks/bench_editing_families.py). MEMIT spreads over that layer and the ones
above it. One context per record (n_prefixes=1): the models know only fact sentences, so sampled prefixes are noise
to them (with 10, MEMIT missed a 7-token target on GPT-J under every budget tried; with 1 it succeeded in 2 rounds).
The editors' verification rounds (interpctf.editing.verify) make efficacy hold whatever these budgets.
"""

from __future__ import annotations

from interpctf.editing.families import first_contextual_mlp, n_layers
from interpctf.editing.lm import MEMIT_LAM
from interpctf.editing.memit import MemitParams
from interpctf.editing.rome import RomeParams
from interpctf.editing.targets import TargetParams


def tiny_rome(model) -> RomeParams:
    return RomeParams(layer=first_contextual_mlp(model),
                      target=TargetParams(position="last", steps=100, lr=0.5, n_prefixes=1))


def tiny_memit(model) -> MemitParams:
    return MemitParams(layers=list(range(first_contextual_mlp(model), n_layers(model))), lam=MEMIT_LAM,
                       target=TargetParams(position="last", steps=60, lr=0.5, n_prefixes=1))
