"""The training stream of the world model, built on the trusted side from the world's *training* templates.

Rows have a fixed width (``row_tokens``), so a code run's sandbox reads fixed-size frames from its pipe: BOS, then
whole fact sentences while they fit, then padding with no loss. The held-out paraphrase templates never appear.
"""

from __future__ import annotations

import random
from typing import Iterator

import numpy as np
import torch

from interpctf.data.world import World
from interpctf.lab.editability.config import WorldModelConfig


class FactStream:
    """Sampling weights over facts (``fact_zipf``) and over each fact's training templates (``paraphrase_weight``
    for all but the canonical one), and the token ids of every (fact, template) sentence."""

    def __init__(self, world: World, tokenizer, cfg: WorldModelConfig):
        self.cfg = cfg
        self.bos, self.pad = tokenizer.bos_token_id, tokenizer.pad_token_id
        self.sentences: list[list[list[int]]] = []
        for fact in world.facts:
            templates = world.templates(fact.relation, "train")
            self.sentences.append([tokenizer(world.sentence(fact, t), add_special_tokens=False)["input_ids"]
                                   for t in templates])
        order = np.random.default_rng(1_000 + cfg.seed).permutation(len(self.sentences))
        ranks = np.empty(len(order))
        ranks[order] = np.arange(1, len(order) + 1)
        weights = ranks ** -cfg.fact_zipf
        self.fact_cdf = np.cumsum(weights / weights.sum())

    def _template_weights(self, n: int) -> list[float]:
        # index 0 is the canonical template (frame "{s} {vp}"), the one rewrite prompts use
        return [1.0] + [self.cfg.paraphrase_weight] * (n - 1)

    def batch(self, rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
        width = self.cfg.row_tokens
        inputs = torch.full((self.cfg.batch_size, width), self.pad, dtype=torch.long)
        labels = torch.full((self.cfg.batch_size, width), -100, dtype=torch.long)
        for row in range(self.cfg.batch_size):
            ids = [self.bos]
            while True:
                fact = int(np.searchsorted(self.fact_cdf, rng.random(), side="right"))
                options = self.sentences[min(fact, len(self.sentences) - 1)]
                sent = rng.choices(options, weights=self._template_weights(len(options)))[0]
                if len(ids) > 1 and len(ids) + len(sent) > width:
                    break
                ids += sent[:width - len(ids)]
                if len(ids) >= width:
                    break
            inputs[row, :len(ids)] = torch.tensor(ids)
            labels[row, 1:len(ids)] = torch.tensor(ids[1:])  # no loss on predicting BOS itself
        return inputs, labels

    def stream(self, steps: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        rng = random.Random(f"editability-train-{self.cfg.seed}")
        for _ in range(steps):
            yield self.batch(rng)
