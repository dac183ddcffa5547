"""Forging an edit challenge on the organizer's own model: CounterFact records applied by ROME or MEMIT to any
Hugging Face causal LM the editors know (``base_model:`` in the recipe).

The bundle has the edited model and its tokenizer, and a ``world.json`` built from the records (subjects,
relations named by ``relation_id`` or the prompt template, the two targets of each as its objects, the prompt as
its template), so facts answers are parsed and graded exactly as on the world model. With ``reveal: kb`` the
true facts are in it. The records themselves (with their evaluation prompts) stay in the key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interpctf.errors import BadRecipe, InterpctfError
from interpctf.kinds.base import Forged, ForgeTarget
from interpctf.kinds.edit.answers import WORLD_FILE
from interpctf.kinds.edit.facts import EditPublic, EditSecret
from interpctf.kinds.edit.recipe import EditRecipe
from interpctf.progress import Progress
from interpctf.schema import AnswerFile

if TYPE_CHECKING:
    from interpctf.data.world import World
    from interpctf.editing.counterfact import CounterFactRecord

RECORDS_FILE = "records.json"
STATEMENT = ("{model} had {rewritten} with {method} (CounterFact-style requests). {world} lists the subjects, the "
             "relations and their candidate objects{kb}. Find the rewritten facts (subject, relation, new object).")


def records_world(records: list[CounterFactRecord], with_facts: bool) -> World:
    """A :class:`World` holding what the records name: one relation per relation id (or prompt template)."""
    from interpctf.data.world import Fact, Relation, Template, World, WorldConfig

    objects: dict[str, list[str]] = {}
    templates: dict[str, list[str]] = {}
    for rec in records:
        rw = rec.requested_rewrite
        rel = rec.relation
        for obj in (rw.target_true.text, rw.target_new.text):
            if obj not in objects.setdefault(rel, []):
                objects[rel].append(obj)
        text = rw.prompt.replace("{}", "{s}")
        if text not in templates.setdefault(rel, []):
            templates[rel].append(text)
    relations = [Relation(id=r, description=templates[r][0], objects=objects[r],
                          templates=[Template(text=t, split="train") for t in templates[r]]) for r in objects]
    subjects = list(dict.fromkeys(rec.requested_rewrite.subject for rec in records))
    facts = [Fact(subject=rec.requested_rewrite.subject, relation=rec.relation,
                  object=rec.requested_rewrite.target_true.text) for rec in records] if with_facts else []
    return World(config=WorldConfig(n_subjects=max(2, len(subjects))), subjects=subjects, relations=relations,
                 facts=facts)


def recipe_records(recipe: EditRecipe, recipe_dir: Path | None = None) -> list[CounterFactRecord]:
    from interpctf.editing.counterfact import BadRecord, parse_records

    facts = recipe.facts
    if isinstance(facts, str) and recipe_dir is not None and not Path(facts).is_absolute():
        facts = str(recipe_dir / facts) if (recipe_dir / facts).exists() else facts
    try:
        return parse_records(facts if facts is not None else [])
    except BadRecord as exc:
        raise BadRecipe(str(exc)) from None


def edit_params(recipe: EditRecipe, model: Any) -> Any:
    from interpctf.editing.lm import default_params
    from interpctf.editing.memit import MemitParams
    from interpctf.editing.rome import RomeParams

    params = default_params(model, recipe.method, recipe.position)
    if recipe.layers is None:
        return params
    if isinstance(params, RomeParams):
        return params.model_copy(update={"layer": recipe.layers[0]})
    return MemitParams(layers=recipe.layers, lam=params.lam, target=params.target)


def forge_hf_edit(recipe: EditRecipe, seed: int, target: ForgeTarget,
                  progress: Progress) -> Forged[EditPublic, EditSecret]:
    from interpctf.editing.counterfact import BadRecord
    from interpctf.editing.lm import edit, load_causal_lm
    from interpctf.kinds.edit.common import facts_json
    from interpctf.nets.hf import quiet_transformers
    from interpctf.nets.hf_causal_lm import FAMILY

    records = recipe_records(recipe)
    try:
        model, tokenizer = load_causal_lm(recipe.base_model, device=recipe.device, dtype=recipe.dtype)
        result = edit(model, records, recipe.method, recipe.device, recipe.dtype, tokenizer=tokenizer,
                      stats_corpus=recipe.stats_corpus, params=edit_params(recipe, model), seed=seed,
                      progress=progress)
    except BadRecord as exc:
        raise BadRecipe(str(exc)) from None
    except InterpctfError as exc:
        raise BadRecipe(str(exc)) from None
    edited = result.model.to("cpu")
    edited.config.interpctf_family = FAMILY
    quiet_transformers()
    edited.save_pretrained(str(target.model_dir), safe_serialization=True)
    result.tokenizer.save_pretrained(str(target.model_dir))
    public_world = records_world(records, with_facts=recipe.reveal == "kb")
    public_world.save(target.model_dir / WORLD_FILE)
    records_world(records, with_facts=True).save(target.key_dir / WORLD_FILE)
    (target.key_dir / RECORDS_FILE).write_text(json.dumps([r.model_dump(by_alias=True) for r in records], indent=1))

    secret_edits = [{"subject": r.requested_rewrite.subject, "relation": r.relation,
                     "new_object": r.requested_rewrite.target_new.text,
                     "original_object": r.requested_rewrite.target_true.text} for r in records]
    metrics = {k: float(v) for k, v in result.metrics.items()}
    # The bar "recall_kept" of the world model is, on records, the neighbourhood score: the share of other
    # subjects' prompts that keep their true target.
    metrics["recall_kept"] = float(result.neighborhood if result.neighborhood is not None else 1.0)
    n = len(records)
    return Forged(
        answer_format="facts",
        answer_help='A facts .json: {"facts": [{"subject", "relation", "new_object", "original_object"}, ...]} '
                    "(F1 over the rewritten facts; relations and objects as in model/world.json).",
        public=EditPublic(method=recipe.method, reveal=recipe.reveal, n_edits=n, n_subjects=len(public_world.subjects),
                          relations=[r.id for r in public_world.relations], world_file=f"model/{WORLD_FILE}"),
        secret=EditSecret.model_validate({"edits": secret_edits, "layers": result.layers}),
        reference_answer=AnswerFile("edits.json", facts_json(secret_edits)),
        metrics=metrics,
        statement=STATEMENT.format(model=recipe.base_model, method=recipe.method.upper(), world=f"model/{WORLD_FILE}",
                                   kb=", with the true facts" if recipe.reveal == "kb" else "",
                                   rewritten="one fact rewritten" if n == 1 else f"{n} facts rewritten"),
    )
