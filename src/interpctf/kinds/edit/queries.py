"""Asking the world model what it believes: the shared primitive of the edit grader and baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from interpctf.data.world import World
from interpctf.nets.tiny_gpt_eval import last_token_logits, token_id


def load_published_model(model_dir: Path) -> tuple[Any, Any]:
    """The bundle's model and tokenizer, offline."""
    from interpctf.data.world_tokenizer import load_tokenizer
    from interpctf.nets.tiny_gpt import load

    return load(model_dir), load_tokenizer(model_dir)


def object_logprobs(model: Any, tokenizer: Any, world: World, pairs: list[tuple[str, str]], template: int = 0
                    ) -> list[dict[str, float]]:
    """For each (subject, relation): log-probabilities of the relation's objects after the prompt in the
    relation's ``template``-th training template, renormalized over those objects."""
    prompts = [world.templates(r, "train")[template].text.replace("{s}", s) for s, r in pairs]
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
    return [(s, r.id) for s in world.subjects for r in world.relations]
