"""Baselines: the identity program, a behaviour-only search over elementwise programs (black-box: it reads only
the model's outputs), and activation patching that proposes a site per variable (white-box).

The behaviour-only search can never earn mechanism credit: it answers with a program, which is graded by
behaviour alone. The patching solver tries every site for every variable of a hypothesis program and keeps the
one with the highest interchange intervention accuracy; given the right program it recovers the sites.
"""

import json
from collections import Counter
from typing import Any

import numpy as np

from interpctf.kinds.compiled.check import all_inputs, model_outputs
from interpctf.kinds.compiled.facts import CompiledPublic
from interpctf.kinds.compiled.grader import iia, model_of
from interpctf.kinds.compiled.answers import CircuitAnswer, SiteClaim
from interpctf.kinds.compiled.net import CompiledTransformer
from interpctf.kinds.compiled.patching import all_sites
from interpctf.kinds.compiled.running import Layout
from interpctf.schema import AnswerFile, Challenge

WHITE_BOX = frozenset({"patching"})


def identity(challenge: Challenge) -> AnswerFile:
    return AnswerFile("program.py", b"def program(tokens):\n    return list(tokens)\n")


def elementwise_table(model: CompiledTransformer, public: CompiledPublic) -> dict[Any, Any]:
    """token -> the output the model gives most often at that token's positions (over every input)."""
    votes: dict[int, Counter[int]] = {t: Counter() for t in range(len(public.vocab))}
    for n in range(1, public.max_seq_len + 1):
        for ids in all_inputs(len(public.vocab), n):
            out = model_outputs(model, ids)
            for t in range(len(public.vocab)):
                votes[t].update(out[ids == t].tolist())
    return {public.vocab[t]: public.output_values[c.most_common(1)[0][0]] for t, c in votes.items() if c}


def map_search_source(challenge: Challenge) -> str:
    table = elementwise_table(model_of(challenge), challenge.public_as(CompiledPublic))
    return (f"TABLE = {table!r}\n\n\ndef program(tokens, v=lambda name, value: value):\n"
            f"    return v('out', [TABLE.get(t) for t in tokens])\n")


def map_search(challenge: Challenge) -> AnswerFile:
    return AnswerFile("program.py", map_search_source(challenge).encode())


def propose_sites(challenge: Challenge, program: str, names: list[str], n_pairs: int = 200,
                  seed: int = 0) -> dict[str, SiteClaim]:
    """For each variable of ``program`` the whole site (no subspace) with the highest IIA, the earliest on ties.

    Ties are real: a variable read by one block only is interchanged as well at that reader's output."""
    public = challenge.public_as(CompiledPublic)
    model, layout = model_of(challenge), Layout(public.vocab, public.output_values, public.max_seq_len)
    best: dict[str, tuple[float, SiteClaim]] = {}
    for site in all_sites(public.n_layers, public.n_heads):
        answer = CircuitAnswer(program=program, variables={name: site for name in names})
        scores, _ = iia(model, layout, answer, n_pairs, seed)
        for name in names:
            if name not in best or scores[name]["iia"] > best[name][0]:
                best[name] = (scores[name]["iia"], site)
    return {name: site for name, (_, site) in best.items()}


def patching(challenge: Challenge) -> AnswerFile:
    program = map_search_source(challenge)
    sites = propose_sites(challenge, program, ["out"], n_pairs=50)
    circuit = {"program": program, "variables": {k: v.model_dump(exclude_none=True) for k, v in sites.items()}}
    return AnswerFile("circuit.json", json.dumps(circuit).encode())


BASELINES = {"identity": identity, "map_search": map_search, "patching": patching}
