"""The edit kind: ROME/MEMIT rewrote facts of the reference world model; answers name them or undo them."""

from interpctf.errors import BadAnswer
from interpctf.grade import Grade
from interpctf.kinds import register
from interpctf.kinds.base import Answer, AnswerFile, Challenge, Forged, ForgeTarget, Kind
from interpctf.kinds.edit.answers import FactsAnswer, RevertAnswer, parse_edit_answer
from interpctf.kinds.edit.baselines import BASELINES
from interpctf.kinds.edit.card import card_text
from interpctf.kinds.edit.forging import forge_edit
from interpctf.kinds.edit.grader import grade_facts, grade_revert
from interpctf.kinds.edit.measure import measure_edits
from interpctf.kinds.edit.recipe import EditRecipe
from interpctf.progress import Progress


@register
class EditKind(Kind):
    name = "edit"
    recipe_model = EditRecipe
    white_box_baselines = frozenset({"layer_anomaly"})  # reads the MLP outputs inside the model
    trivial_baseline = "empty"

    def forge(self, recipe: EditRecipe, variant: int, seed: int, target: ForgeTarget,
              progress: Progress) -> Forged:
        return forge_edit(recipe, seed, target, progress)

    def parse_answer(self, answer: AnswerFile, challenge: Challenge) -> Answer:
        return parse_edit_answer(answer, challenge.bundle_dir / "model")

    def grade(self, answer: Answer, challenge: Challenge) -> Grade:
        if isinstance(answer, FactsAnswer):
            return grade_facts(answer, challenge.key.secret["edits"])
        if isinstance(answer, RevertAnswer):
            return grade_revert(answer, challenge)
        raise BadAnswer(f"edit answers are facts or revert, not {answer.format}")

    def baselines(self):
        return dict(BASELINES)

    def card(self, challenge: Challenge) -> str:
        return card_text(challenge)

    def measure(self, challenge: Challenge) -> dict[str, float]:
        return measure_edits(challenge)
