"""Re-measuring the edit kind's quality bars from the published model and the key.

Efficacy is recomputed exactly as forged (P(new) > P(old) on each edit's rewrite prompt). Recall kept needs the
original model's recall, which is not published: it is taken from the key's record (``recall_train_before``)
and the edited model's recall of the unedited facts is measured again on the same prompts.
"""

from __future__ import annotations

from interpctf.kinds.edit.facts import EditSecret
from interpctf.schema import Challenge


def measure_edits(challenge: Challenge) -> dict[str, float]:
    import torch

    from interpctf.data.world import World
    from interpctf.editing.metrics import success_and_magnitude
    from interpctf.editing.targets import Edit, rewrite_prompt
    from interpctf.kinds.edit.forging import RECALL_LIMIT, recall_kept
    from interpctf.kinds.edit.queries import load_published_model
    from interpctf.nets.tiny_gpt_eval import fact_recall, last_token_logits, token_id

    from interpctf.kinds.edit.forging_hf import RECORDS_FILE

    if (challenge.require_key_dir() / RECORDS_FILE).exists():
        return _measure_records(challenge)
    edits = challenge.secret_as(EditSecret).edits
    world = World.load(challenge.require_key_dir() / "world.json")
    model, tokenizer = load_published_model(challenge.bundle_dir / "model")
    prompts = [rewrite_prompt(world, Edit(subject=e.subject, relation=e.relation, new_object=e.new_object))
               for e in edits]
    with torch.no_grad():
        probs = torch.softmax(last_token_logits(model, tokenizer, prompts), dim=-1)
    p_new = [float(probs[i, token_id(tokenizer, e.new_object)]) for i, e in enumerate(edits)]
    p_old = [float(probs[i, token_id(tokenizer, e.original_object)]) for i, e in enumerate(edits)]
    out = {"efficacy": success_and_magnitude(p_new, p_old)[0]}
    before = challenge.require_key().metrics.get("recall_train_before")
    if before is not None:
        after = fact_recall(model, tokenizer, world, "train", limit=RECALL_LIMIT,
                            exclude={(e.subject, e.relation) for e in edits})
        out.update(recall_train_after=after, recall_kept=recall_kept(after, before))
    return out


def _measure_records(challenge: Challenge) -> dict[str, float]:
    """An organizer's own model: the CounterFact scores on the key's records, recall kept = neighbourhood."""
    from interpctf.editing.counterfact import parse_records
    from interpctf.editing.score import record_metrics
    from interpctf.kinds.edit.forging_hf import RECORDS_FILE
    from interpctf.kinds.edit.queries import load_published_model

    records = parse_records(challenge.require_key_dir() / RECORDS_FILE)
    model, tokenizer = load_published_model(challenge.bundle_dir / "model")
    metrics = record_metrics(model, tokenizer, records)
    metrics["recall_kept"] = metrics.get("neighborhood", 1.0)
    return metrics
