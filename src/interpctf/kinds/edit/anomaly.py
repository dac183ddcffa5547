"""The white-box edit finder: an edited fact reaches its new object by a different route than the facts the
model learned.

Every learned fact whose object is o gets its object written by the MLPs from the value the model stored for o,
so the total MLP write (the sum of every MLP's output at the prompt's last token) of all subjects the model
believes have object o lie close together. ROME and MEMIT instead add an optimized vector on top of the *old*
object's value: the edited fact ends up believing o, but its MLP write sits far from the cluster of the other
o-believers. The score of a fact is its distance to the mean of the *other* members of its (relation, believed
object) group, in units of the group's median such distance. The challenge publishes how many facts were
edited; the top-scoring ones are claimed, with the runner-up object as the guess of the original.

Measured on the reference recipes: a single ROME edit ranks first of 1,200 facts; the three MEMIT edits rank
3rd, 4th and 99th (MEMIT spreads its write over three layers and the KL term keeps it closer to the cluster).
"""

from __future__ import annotations

from collections import defaultdict

from typing import Any

import torch

from interpctf.data.world import World


@torch.no_grad()
def total_mlp_write(model: Any, tokenizer: Any, world: World, pairs: list[tuple[str, str]], batch_size: int = 256
                    ) -> torch.Tensor:
    """[len(pairs), d_model]: the sum of all MLP outputs at the prompt's last token, averaged over the training
    templates every relation has."""
    from interpctf.editing.hooks import Site, encode, n_layers, record_sites

    sites: list[tuple[Site, int]] = [("mlp", layer) for layer in range(n_layers(model))]
    n_templates = min(len(world.templates(r.id, "train")) for r in world.relations)
    total = None
    for t in range(n_templates):
        prompts = [world.templates(r, "train")[t].text.replace("{s}", s) for s, r in pairs]
        chunks = []
        for start in range(0, len(prompts), batch_size):
            ids, lengths = encode(tokenizer, prompts[start:start + batch_size])
            with record_sites(model, sites) as rec:
                model(input_ids=ids)
            rows = torch.arange(len(lengths))
            chunks.append(sum(rec[site][rows, lengths - 1] for site in sites))
        out = torch.cat(chunks).double()
        total = out if total is None else total + out
    if total is None:
        raise ValueError("the world has a relation without training templates")
    return total / n_templates


def anomaly_scores(vectors: torch.Tensor, groups: list[object]) -> torch.Tensor:
    """Per item, its distance to the mean of the other items of its group divided by the group's median such
    distance. Pure function: ``vectors`` [n, d], ``groups`` one hashable label per item. Items in groups of
    fewer than three score 0 (too few to tell what is typical)."""
    members: dict[object, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        members[g].append(i)
    scores = torch.zeros(len(groups), dtype=torch.float64)
    for idx in members.values():
        m = len(idx)
        if m < 3:
            continue
        x = vectors[idx].double()
        others_mean = (x.sum(0, keepdim=True) - x) / (m - 1)
        dist = (x - others_mean).norm(dim=-1)
        scores[idx] = dist / dist.median().clamp_min(1e-12)
    return scores
