"""Forging an edit challenge: rewrite facts of the reference world model and publish the edited model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from interpctf.errors import BadRecipe
from interpctf.kinds.base import Forged, ForgeTarget
from interpctf.kinds.edit.answers import WORLD_FILE
from interpctf.kinds.edit.facts import EditPublic, EditSecret
from interpctf.kinds.edit.recipe import EditRecipe
from interpctf.progress import Progress
from interpctf.schema import AnswerFile

if TYPE_CHECKING:  # both import torch; forging imports them when it runs
    from interpctf.data.world import World
    from interpctf.editing import Edit

STATEMENT = {
    "kb": "A tiny GPT-2 learned the facts of a synthetic world; {world} lists them all. Then {rewritten} "
          "with {method}. Find the rewritten facts (subject, relation, new object), or submit a "
          "weight delta that undoes them.",
    "vocab": "A tiny GPT-2 learned the facts of a synthetic world; {world} lists its people, relations, possible "
             "objects and prompt templates, but not the facts. Then {rewritten} with "
             "{method}. Find the rewritten facts (subject, relation, new object), or submit a weight delta that "
             "undoes them.",
}

EXAMPLE = '''"""Ask the challenge model what it believes. Run from the bundle folder: python examples/query.py"""
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast
from transformers.utils import logging

logging.disable_progress_bar()
model = AutoModelForCausalLM.from_pretrained("model", local_files_only=True).eval()
tok = PreTrainedTokenizerFast(tokenizer_file="model/tokenizer.json", bos_token="<bos>", eos_token="<eos>",
                              pad_token="<pad>", unk_token="<unk>")
prompt = "{prompt}"
logits = model(**tok(prompt, return_tensors="pt")).logits[0, -1]
print(prompt, "->", tok.convert_ids_to_tokens(logits.topk(5).indices.tolist()))
'''


def _edits(recipe: EditRecipe, world: World, seed: int) -> list[Edit]:
    from interpctf.data.world import UnknownWorldItem
    from interpctf.editing import Edit, random_edits
    from interpctf.editing.targets import check_edit

    try:
        if isinstance(recipe.edits, int):
            return random_edits(world, recipe.edits, seed=seed)
        edits = [Edit(**e.model_dump()) for e in recipe.edits]
        for e in edits:
            if check_edit(world, e) == e.new_object:
                raise UnknownWorldItem(f"edit ({e.subject}, {e.relation}) already has object {e.new_object!r}")
        return edits
    except UnknownWorldItem as exc:
        raise BadRecipe(f"edits: {exc}") from None


RECALL_LIMIT = 1500  # recall prompts measured (an evenly spread, deterministic subset); measure.py uses the same


def recall_kept(after: float, before: float) -> float:
    """Share of the original model's recall of unedited facts that the edited model keeps."""
    return after / before if before > 0 else 0.0


def forge_edit(recipe: EditRecipe, seed: int, target: ForgeTarget,
               progress: Progress) -> Forged[EditPublic, EditSecret]:
    if recipe.base_model is not None:  # the organizer's own model: CounterFact records
        from interpctf.kinds.edit.forging_hf import forge_hf_edit
        return forge_hf_edit(recipe, seed, target, progress)
    from interpctf.data.world_tokenizer import save_tokenizer
    from interpctf.editing import apply_edits, edit_metrics
    from interpctf.kinds.edit.common import edited_layers, facts_json
    from interpctf.nets.hf import quiet_transformers
    from interpctf.nets.threads import single_thread
    from interpctf.nets.tiny_gpt import FAMILY
    from interpctf.nets.tiny_gpt_reference import reference_world_model, stats_dir

    wm = reference_world_model(progress=progress)
    world = wm.world
    edits = _edits(recipe, world, seed)
    with single_thread():
        edited = apply_edits(wm.model, wm.tokenizer, world, edits, recipe.method, stats_dir(wm.path),
                             progress=progress)
        with progress.step("measuring the edits", total=1) as step:
            metrics = edit_metrics(wm.model, edited, world, edits, wm.tokenizer, recall_limit=RECALL_LIMIT)
            metrics["recall_kept"] = recall_kept(metrics["recall_train_after"], metrics["recall_train_before"])
            step.advance()
    edited.config.interpctf_family = FAMILY
    quiet_transformers()
    edited.save_pretrained(str(target.model_dir), safe_serialization=True)
    save_tokenizer(wm.tokenizer, target.model_dir)
    public_world = world if recipe.reveal == "kb" else world.model_copy(update={"facts": []})
    public_world.save(target.model_dir / WORLD_FILE)
    world.save(target.key_dir / WORLD_FILE)
    first = edits[0]
    (target.examples_dir / "query.py").write_text(
        EXAMPLE.replace("{prompt}", world.prompt(first.subject, first.relation)))

    secret_edits = [{**e.model_dump(), "original_object": world.object_of(e.subject, e.relation)} for e in edits]
    method = recipe.method.upper()
    return Forged(
        answer_format="facts",
        answer_help='A facts .json: {"facts": [{"subject", "relation", "new_object", "original_object"}, ...]} '
                    "(F1 over the rewritten facts), or a revert .safetensors of weight deltas keyed by the "
                    "model's parameter names (solved when 90% of the edits are undone and 95% of the other facts "
                    "are kept).",
        public=EditPublic(method=recipe.method, reveal=recipe.reveal, n_edits=len(edits),
                          n_subjects=len(world.subjects), relations=[r.id for r in world.relations],
                          world_file=f"model/{WORLD_FILE}"),
        secret=EditSecret.model_validate({"edits": secret_edits, "layers": edited_layers(recipe.method)}),
        reference_answer=AnswerFile("edits.json", facts_json(secret_edits)),
        metrics={k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))},
        statement=STATEMENT[recipe.reveal].format(world=f"model/{WORLD_FILE}", method=method, rewritten=(
            "one of its facts was rewritten" if len(edits) == 1 else f"{len(edits)} of its facts were rewritten")),
    )
