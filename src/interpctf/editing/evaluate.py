"""Measuring edits on the world model with the CounterFact metrics (see :mod:`interpctf.editing.metrics`).

For each edit (subject, relation, old → new): efficacy on the rewrite prompt, paraphrase on the relation's
held-out templates (never seen in training, never used by the editor), neighborhood on up to
``max_neighbors`` other subjects that share the old object in the same relation, generation entropy of text
sampled after the rewrite prompt, and fact recall on all *unedited* facts before and after.
"""

from __future__ import annotations

import random

import torch

from interpctf.data.world import World
from interpctf.data.world_tokenizer import build_tokenizer
from interpctf.editing.families import max_positions
from interpctf.editing.metrics import counterfact_summary, n_gram_entropy
from interpctf.editing.targets import Edit, check_edit, rewrite_prompt
from interpctf.nets.tiny_gpt_eval import fact_recall, last_token_logits, token_id


def _neighbor_prompts(world: World, edit: Edit, edited: set[tuple[str, str]], max_neighbors: int) -> list[str]:
    others = [s for s in world.neighbors(edit.subject, edit.relation) if (s, edit.relation) not in edited]
    rng = random.Random(f"neighbors-{edit.subject}-{edit.relation}")
    chosen = rng.sample(others, min(max_neighbors, len(others)))
    return [rewrite_prompt(world, Edit(subject=s, relation=edit.relation, new_object=edit.new_object))
            for s in chosen]


def _p_new_old(model, tokenizer, prompts: list[str], new: str, old: str) -> tuple[list[float], list[float]]:
    if not prompts:
        return [], []
    probs = torch.softmax(last_token_logits(model, tokenizer, prompts), dim=-1)
    return probs[:, token_id(tokenizer, new)].tolist(), probs[:, token_id(tokenizer, old)].tolist()


@torch.no_grad()
def generation_entropy(model, tokenizer, prompts: list[str], new_tokens: int = 30, top_k: int = 5,
                       seed: int = 0) -> float:
    """Mean n-gram entropy of top-k sampled continuations (ROME samples with top-k 5), fixed seed."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    values = []
    for prompt in prompts:
        ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
        room = max_positions(model) - ids.shape[1]
        out = []
        for _ in range(min(new_tokens, room)):
            logits = model(input_ids=ids).logits[0, -1]
            top = torch.topk(logits, top_k)
            pick = top.indices[torch.multinomial(torch.softmax(top.values, -1), 1, generator=gen)]
            ids = torch.cat([ids, pick.view(1, 1)], dim=1)
            out.append(int(pick))
        values.append(n_gram_entropy(tokenizer.convert_ids_to_tokens(out)))
    return sum(values) / max(1, len(values))


def edit_metrics(model_before, model_after, world: World, edits: list[Edit], tokenizer=None,
                 max_neighbors: int = 10, recall_limit: int | None = 3000, with_recall: bool = True,
                 with_entropy: bool = True) -> dict:
    """CounterFact scores of ``model_after`` for ``edits`` (applied together), plus generation entropy and fact
    recall on unedited facts for both models. ``recall_limit`` evaluates an evenly spread subset of prompts.
    ``with_entropy`` False skips the entropies (30 sampled tokens per edit and model, one forward each)."""
    tokenizer = tokenizer or build_tokenizer(world)
    edited = {(e.subject, e.relation) for e in edits}
    groups: dict[str, tuple[list[float], list[float]]] = {"efficacy": ([], []), "paraphrase": ([], []),
                                                          "neighborhood": ([], [])}
    for edit in edits:
        old = check_edit(world, edit)
        prompts = {"efficacy": [rewrite_prompt(world, edit)],
                   "paraphrase": world.prompts(edit.subject, edit.relation, "paraphrase"),
                   "neighborhood": _neighbor_prompts(world, edit, edited, max_neighbors)}
        for name, plist in prompts.items():
            p_new, p_old = _p_new_old(model_after, tokenizer, plist, edit.new_object, old)
            groups[name][0].extend(p_new)
            groups[name][1].extend(p_old)
    result = counterfact_summary(groups["efficacy"], groups["paraphrase"], groups["neighborhood"])
    if with_entropy:
        gen_prompts = [rewrite_prompt(world, e) for e in edits]
        result["entropy_before"] = generation_entropy(model_before, tokenizer, gen_prompts)
        result["entropy_after"] = generation_entropy(model_after, tokenizer, gen_prompts)
    if with_recall:
        for split in ("train", "paraphrase"):
            for tag, model in (("before", model_before), ("after", model_after)):
                result[f"recall_{split}_{tag}"] = fact_recall(model, tokenizer, world, split, limit=recall_limit,
                                                              exclude=edited)
    result["n_edits"] = len(edits)
    return result
