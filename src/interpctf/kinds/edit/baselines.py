"""Baseline solvers of edit challenges; each sees only the public bundle.

- ``empty``: claims nothing (the trivial answer, F1 0).
- ``kb_lookup`` (black-box): asks the model every (subject, relation) in every training template and claims the
  facts where it consistently believes another object than the published knowledge base. Solves ``kb``
  challenges; has nothing to compare against under ``vocab``.
- ``layer_anomaly`` (white-box): see :mod:`interpctf.kinds.edit.anomaly`.
"""

from collections import Counter

from interpctf.kinds.edit.answers import published_world
from interpctf.kinds.edit.common import facts_json
from interpctf.kinds.edit.facts import EditPublic
from interpctf.schema import AnswerFile, Challenge

# A disagreement must hold on this share of the relation's training templates: the unedited model misses a few
# (fact, template) prompts here and there, but an edit moves every template of the fact at once.
CONSISTENCY = 0.75


def empty(challenge: Challenge) -> AnswerFile:
    return AnswerFile("edits.json", facts_json([]))


def kb_lookup(challenge: Challenge) -> AnswerFile:
    from interpctf.kinds.edit.queries import all_pairs, load_published_model, object_logprobs

    model_dir = challenge.bundle_dir / "model"
    world = published_world(model_dir)
    if not world.facts:
        return empty(challenge)
    model, tokenizer = load_published_model(model_dir)
    pairs = all_pairs(world)
    votes: dict[tuple[str, str], Counter] = {pair: Counter() for pair in pairs}
    doubt: dict[tuple[str, str], float] = dict.fromkeys(pairs, 0.0)  # summed log P(believed) - log P(known)
    n_templates = {r.id: len(world.templates(r.id, "train")) for r in world.relations}
    for t in range(max(n_templates.values())):
        usable = [p for p in pairs if t < n_templates[p[1]]]
        for pair, logp in zip(usable, object_logprobs(model, tokenizer, world, usable, template=t)):
            believed = max(logp, key=logp.__getitem__)
            votes[pair][believed] += 1
            doubt[pair] += logp[believed] - logp[world.object_of(*pair)]
    claims = []
    for (subject, relation), counter in votes.items():
        known = world.object_of(subject, relation)
        believed, count = counter.most_common(1)[0]
        if believed != known and count >= CONSISTENCY * n_templates[relation]:
            strength = (count / n_templates[relation], doubt[(subject, relation)] / n_templates[relation])
            claims.append((strength, {"subject": subject, "relation": relation, "new_object": believed,
                                      "original_object": known}))
    # An edit also disturbs a few facts it was not aimed at, less consistently and less confidently: keep the
    # strongest disagreements, as many as the challenge says were edited.
    claims.sort(key=lambda c: c[0], reverse=True)
    n = challenge.public_as(EditPublic).n_edits
    return AnswerFile("edits.json", facts_json([claim for _, claim in claims[:n]]))


def layer_anomaly(challenge: Challenge) -> AnswerFile:
    from interpctf.kinds.edit.anomaly import anomaly_scores, total_mlp_write
    from interpctf.kinds.edit.queries import all_pairs, load_published_model, object_logprobs

    model_dir = challenge.bundle_dir / "model"
    world = published_world(model_dir)
    model, tokenizer = load_published_model(model_dir)
    pairs = all_pairs(world)
    ranked = [sorted(lp, key=lp.__getitem__, reverse=True) for lp in object_logprobs(model, tokenizer, world, pairs)]
    scores = anomaly_scores(total_mlp_write(model, tokenizer, world, pairs),
                            [(relation, order[0]) for (_, relation), order in zip(pairs, ranked)])
    top = scores.argsort(descending=True)[:challenge.public_as(EditPublic).n_edits].tolist()
    # No guess of the original object: the runner-up object was measured to be right 0 times in 4.
    claims = [{"subject": pairs[i][0], "relation": pairs[i][1], "new_object": ranked[i][0]} for i in top]
    return AnswerFile("edits.json", facts_json(claims))


BASELINES = {"empty": empty, "kb_lookup": kb_lookup, "layer_anomaly": layer_anomaly}
