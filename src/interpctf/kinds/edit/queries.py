"""Asking the world model what it believes: the shared primitive of the edit grader and baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from interpctf.data.world import World
from interpctf.nets.tiny_gpt_eval import last_token_logits, token_id


def load_published_model(model_dir: Path) -> tuple[Any, Any]:
    """The bundle's model and tokenizer, offline: the world model, or an organizer's own model."""
    import json

    from interpctf.data.world_tokenizer import load_tokenizer
    from interpctf.nets import hf_causal_lm
    from interpctf.nets.tiny_gpt import load

    family = json.loads((Path(model_dir) / "config.json").read_text()).get("interpctf_family")
    if family == hf_causal_lm.FAMILY:
        return hf_causal_lm.load(model_dir), hf_causal_lm.load_tokenizer(model_dir)
    return load(model_dir), load_tokenizer(model_dir)


def _is_own_model(model: Any) -> bool:
    from interpctf.nets.hf_causal_lm import FAMILY

    return getattr(model.config, "interpctf_family", None) == FAMILY


def _sequence_logprobs(model: Any, tokenizer: Any, prompts: list[str], pairs: list[tuple[str, str]],
                       world: World) -> list[dict[str, float]]:
    """Objects of several tokens (an organizer's tokenizer): log P(object | prompt) as the product over its
    tokens (CounterFact's scoring), renormalized over the relation's objects."""
    from interpctf.editing.score import target_logprobs

    out = []
    for prompt, (_, relation) in zip(prompts, pairs):
        objects = world.objects(relation)
        scores = torch.tensor([target_logprobs(model, tokenizer, [prompt], o)[0] for o in objects])
        out.append(dict(zip(objects, torch.log_softmax(scores, dim=-1).tolist())))
    return out


def object_logprobs(model: Any, tokenizer: Any, world: World, pairs: list[tuple[str, str]], template: int = 0
                    ) -> list[dict[str, float]]:
    """For each (subject, relation): log-probabilities of the relation's objects after the prompt in the
    relation's ``template``-th training template, renormalized over those objects."""
    prompts = [world.templates(r, "train")[template].text.replace("{s}", s) for s, r in pairs]
    if _is_own_model(model):
        return _sequence_logprobs(model, tokenizer, prompts, pairs, world)
    logits = last_token_logits(model, tokenizer, prompts)
    out = []
    for row, (_, relation) in zip(logits, pairs):
        objects = world.objects(relation)
        ids = torch.tensor([token_id(tokenizer, o) for o in objects])
        logp = torch.log_softmax(row[ids], dim=-1)
        out.append(dict(zip(objects, logp.tolist())))
    return out


def believed_objects(model: Any, tokenizer: Any, world: World, pairs: list[tuple[str, str]]) -> list[str]:
    """The object the model ranks first among the relation's objects, on the relation's first template."""
    return [max(lp, key=lp.__getitem__) for lp in object_logprobs(model, tokenizer, world, pairs)]


def all_pairs(world: World) -> list[tuple[str, str]]:
    """Every (subject, relation); a world made from CounterFact records has facts only for some pairs (when its
    facts are published), and then those are the pairs."""
    pairs = [(s, r.id) for s in world.subjects for r in world.relations]
    if world.facts and len(world.facts) < len(pairs):
        return [(f.subject, f.relation) for f in world.facts]
    return pairs
