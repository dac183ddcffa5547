"""Documents of the synthetic world as token ids, with what each token is: its fact's relation, and whether it
names an entity (a subject or an object).

The world's corpus is plain text, so the labels are read back from it: every sentence ends with its object and a
".", and no object belongs to two relations, so the object names the sentence's relation. The tokenizer is
word-level, so word ``i`` of a document is token ``i + 1`` (after BOS); :func:`annotate` checks that it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from interpctf.data.world import World


@dataclass
class Documents:
    ids: torch.Tensor        # (n_docs, max_len) right-padded, BOS first
    lengths: torch.Tensor    # (n_docs,) real tokens per document, BOS included
    relation: np.ndarray     # (n_tokens,) relation index of each non-BOS token, in row-major order
    entity: np.ndarray       # (n_tokens,) True where the token is a subject or an object

    @property
    def token_mask(self) -> torch.Tensor:
        """(n_docs, max_len) True at the non-BOS real tokens: the positions the SAE reads and is spliced into."""
        pos = torch.arange(self.ids.shape[1])
        return (pos >= 1) & (pos < self.lengths[:, None])

    @property
    def targets(self) -> torch.Tensor:
        """The non-BOS tokens in row-major order: the next-token targets of the positions before them."""
        return self.ids[self.token_mask]


def _word_labels(world: World, words: list[str]) -> tuple[list[int], list[bool]]:
    relation_of = {obj: i for i, r in enumerate(world.relations) for obj in r.objects}
    subjects = set(world.subjects)
    relations, entities, start = [], [], 0
    for end, word in enumerate(words):
        if word != ".":
            continue
        obj = words[end - 1]
        if obj not in relation_of:
            raise ValueError(f"sentence {' '.join(words[start:end + 1])!r} does not end with an object")
        relations += [relation_of[obj]] * (end + 1 - start)
        entities += [w in subjects or i == end - 1 for i, w in enumerate(words[start:end + 1], start)]
        start = end + 1
    if start != len(words):
        raise ValueError(f"document ends without a full stop: {' '.join(words[start:])!r}")
    return relations, entities


def annotate(world: World, tokenizer, docs: list[str]) -> Documents:
    enc = tokenizer(docs, padding=True, return_tensors="pt")
    ids, lengths = enc["input_ids"], enc["attention_mask"].sum(dim=1)
    relation, entity = [], []
    for doc, n in zip(docs, lengths.tolist()):
        words = doc.split()
        if len(words) + 1 != n:
            raise ValueError(f"tokenizer is not word-level on {doc!r}")
        r, e = _word_labels(world, words)
        relation += r
        entity += e
    return Documents(ids, lengths, np.array(relation, dtype=np.int64), np.array(entity, dtype=bool))
