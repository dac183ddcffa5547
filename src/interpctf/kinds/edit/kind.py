"""The edit kind: ROME/MEMIT rewrote facts of the reference world model; answers name them or undo them."""

from typing import ClassVar

from interpctf.kinds.base import Baseline, Forged, ForgeTarget, Kind, Querier
from interpctf.kinds.edit.answers import EditAnswer, parse_edit_answer
from interpctf.kinds.edit.baselines import BASELINES
from interpctf.kinds.edit.card import card_text
from interpctf.kinds.edit.facts import EditPublic, EditSecret
from interpctf.kinds.edit.forging import forge_edit
from interpctf.kinds.edit.grader import grade_facts, grade_revert
from interpctf.kinds.edit.measure import measure_edits
from interpctf.kinds.edit.querier import edit_querier
from interpctf.kinds.edit.recipe import EditRecipe
from interpctf.progress import Progress
from interpctf.schema import AnswerFile, Challenge, Grade


class EditKind(Kind[EditRecipe, EditPublic, EditSecret, EditAnswer]):
    name = "edit"
    recipe_model = EditRecipe
    public_model = EditPublic
    secret_model = EditSecret
    answer_type = EditAnswer
    white_box_baselines = frozenset({"layer_anomaly"})  # reads the MLP outputs inside the model
    trivial_baseline = "empty"
    reference_recipe = "reference.yaml"
    model_families: ClassVar[dict[str, str]] = {"world-gpt": "interpctf.nets.tiny_gpt",
                                                 "hf-causal-lm": "interpctf.nets.hf_causal_lm"}

    def forge(self, recipe: EditRecipe, variant: int, seed: int, target: ForgeTarget,
              progress: Progress) -> Forged[EditPublic, EditSecret]:
        return forge_edit(recipe, seed, target, progress)

    def parse_answer(self, answer: AnswerFile, challenge: Challenge) -> EditAnswer:
        return parse_edit_answer(answer, challenge.bundle_dir / "model")

    def grade(self, answer: EditAnswer, challenge: Challenge) -> Grade:
        # dispatch on the union's discriminator: each branch sees one answer model
        if answer.format == "facts":
            return grade_facts(answer, self.secret(challenge).edits)
        return grade_revert(answer, challenge)

    def baselines(self) -> dict[str, Baseline]:
        return dict(BASELINES)

    def querier(self) -> Querier:
        return edit_querier

    def card(self, challenge: Challenge) -> str:
        return card_text(challenge)

    def measure(self, challenge: Challenge) -> dict[str, float]:
        return measure_edits(challenge)
