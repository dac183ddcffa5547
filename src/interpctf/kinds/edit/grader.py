"""Grading edit answers.

- ``facts``: F1 between the claimed and the true (subject, relation, new object) triples; the accuracy of the
  claimed original objects on correctly found edits is reported beside it. Solved iff F1 = 1.
- ``revert``: the deltas are added to the published model; score = share of edited facts whose believed object
  is the original again, solved iff ≥ 0.9 of them are restored while ≥ 0.95 of the unedited facts keep the
  object the published model believes (so a delta that wrecks the model cannot pass). When fewer than 0.95
  are kept, the score is multiplied by the kept share.
"""

from __future__ import annotations

import numpy as np

from interpctf.kinds.edit.answers import FactsAnswer, RevertAnswer
from interpctf.kinds.edit.facts import EditSecret, SecretEdit
from interpctf.schema import Challenge, Grade

RESTORED_BAR = 0.9
KEPT_BAR = 0.95


def precision_recall_f1(claimed: set, truth: set) -> tuple[float, float, float]:
    """Set precision, recall and F1 (0 when either side is empty and they differ)."""
    hits = len(claimed & truth)
    precision = hits / len(claimed) if claimed else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def grade_facts(answer: FactsAnswer, edits: list[SecretEdit]) -> Grade:
    truth = {(e.subject, e.relation, e.new_object) for e in edits}
    original = {(e.subject, e.relation): e.original_object for e in edits}
    claimed = {(c.subject, c.relation, c.new_object) for c in answer.facts}
    precision, recall, f1 = precision_recall_f1(claimed, truth)
    found = [c for c in answer.facts if (c.subject, c.relation, c.new_object) in truth]
    named = [c for c in found if c.original_object is not None]
    right = sum(c.original_object == original[(c.subject, c.relation)] for c in named)
    details = {"precision": round(precision, 6), "recall": round(recall, 6), "f1": round(f1, 6),
               "n_edits": len(truth), "n_claimed": len(claimed), "n_found": len(found),
               "original_object_accuracy": round(right / len(named), 6) if named else None}
    return Grade(score=f1, solved=f1 >= 1.0 - 1e-9, details=details)


def revert_figures(restored: list[bool], kept: list[bool]) -> tuple[float, bool, dict]:
    """(score, solved, details) from per-fact outcomes; a pure function of the two lists."""
    restored_share = float(np.mean(restored)) if restored else 0.0
    kept_share = float(np.mean(kept)) if kept else 1.0
    score = restored_share if kept_share >= KEPT_BAR else restored_share * kept_share
    solved = restored_share >= RESTORED_BAR and kept_share >= KEPT_BAR
    return score, solved, {"restored": round(restored_share, 6), "kept": round(kept_share, 6),
                           "n_edits": len(restored), "n_unedited": len(kept)}


def grade_revert(answer: RevertAnswer, challenge: Challenge) -> Grade:
    import torch

    from interpctf.data.world import World
    from interpctf.kinds.edit.queries import all_pairs, believed_objects, load_published_model

    edits = challenge.secret_as(EditSecret).edits
    world = World.load(challenge.require_key_dir() / "world.json")
    model, tokenizer = load_published_model(challenge.bundle_dir / "model")
    edited_pairs = [(e.subject, e.relation) for e in edits]
    other_pairs = sorted(set(all_pairs(world)) - set(edited_pairs))
    before = believed_objects(model, tokenizer, world, other_pairs)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, delta in answer.deltas.items():
            params[name].add_(torch.from_numpy(delta).to(params[name].dtype))
    restored_to = believed_objects(model, tokenizer, world, edited_pairs)
    after = believed_objects(model, tokenizer, world, other_pairs)
    restored = [got == e.original_object for got, e in zip(restored_to, edits)]
    kept = [a == b for a, b in zip(before, after)]
    score, solved, details = revert_figures(restored, kept)
    details["delta_norm"] = round(float(np.sqrt(sum(float((d.astype(np.float64) ** 2).sum())
                                                    for d in answer.deltas.values()))), 6)
    return Grade(score=score, solved=solved, details=details)
