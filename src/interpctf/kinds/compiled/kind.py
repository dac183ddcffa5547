"""The compiled kind: a Tracr-compiled RASP program; answers are programs (behaviour) or circuits (mechanism)."""

from typing import ClassVar

from interpctf.errors import BadAnswer
from interpctf.kinds.base import Baseline, Forged, ForgeTarget, Kind
from interpctf.kinds.compiled.answers import CircuitAnswer, CompiledAnswer, parse_circuit, parse_program
from interpctf.kinds.compiled.baselines import BASELINES, WHITE_BOX
from interpctf.kinds.compiled.card import card_text
from interpctf.kinds.compiled.facts import CompiledPublic, CompiledSecret
from interpctf.kinds.compiled.grader import grade_circuit, grade_program
from interpctf.kinds.compiled.recipe import CompiledRecipe
from interpctf.progress import Progress
from interpctf.schema import AnswerFile, Challenge, Grade


class CompiledKind(Kind[CompiledRecipe, CompiledPublic, CompiledSecret, CompiledAnswer]):
    name = "compiled"
    recipe_model = CompiledRecipe
    public_model = CompiledPublic
    secret_model = CompiledSecret
    answer_type = CompiledAnswer
    white_box_baselines = WHITE_BOX
    trivial_baseline = "identity"
    reference_recipe = "reference.yaml"
    model_families: ClassVar[dict[str, str]] = {"compiled-transformer": "interpctf.kinds.compiled.net"}

    def forge(self, recipe: CompiledRecipe, variant: int, seed: int, target: ForgeTarget,
              progress: Progress) -> Forged[CompiledPublic, CompiledSecret]:
        from interpctf.kinds.compiled.forging import forge_compiled  # imports tracr (jax) only to forge

        return forge_compiled(recipe, seed, target, progress)

    def parse_answer(self, answer: AnswerFile, challenge: Challenge) -> CompiledAnswer:
        name = (answer.filename or "").lower()
        if name.endswith(".py"):
            return parse_program(answer)
        if name.endswith((".yaml", ".yml", ".json")) or not name:
            return parse_circuit(answer, self.public(challenge))
        raise BadAnswer(f"{answer.filename}: submit program.py (behaviour) or circuit.yaml / circuit.json")

    def grade(self, answer: CompiledAnswer, challenge: Challenge) -> Grade:
        if isinstance(answer, CircuitAnswer):
            return grade_circuit(answer, challenge)
        return grade_program(answer, challenge)

    def baselines(self) -> dict[str, Baseline]:
        return dict(BASELINES)

    def card(self, challenge: Challenge) -> str:
        return card_text(self.public(challenge))

    def measure(self, challenge: Challenge) -> dict[str, float]:
        return {}
