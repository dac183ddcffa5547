"""The trojan kind: a backdoor planted in a small image classifier; find the trigger, the target, or the
trojaned models of a suite."""

from typing import ClassVar

from interpctf.errors import BadAnswer
from interpctf.kinds.base import Baseline, Forged, ForgeTarget, Kind
from interpctf.kinds.trojan import answers, grader, grader_multi
from interpctf.kinds.trojan.answers import TrojanAnswer
from interpctf.kinds.trojan.baselines import BASELINES
from interpctf.kinds.trojan.card import card_text
from interpctf.kinds.trojan.facts import TrojanPublic, TrojanSecret
from interpctf.kinds.trojan.forge_multi import forge_multi
from interpctf.kinds.trojan.forge_single import forge_single
from interpctf.kinds.trojan.forge_suite import forge_suite
from interpctf.kinds.trojan.measure import measure_single
from interpctf.kinds.trojan.recipe import TrojanRecipe
from interpctf.progress import Progress
from interpctf.schema import AnswerFile, Challenge, Grade


class TrojanKind(Kind[TrojanRecipe, TrojanPublic, TrojanSecret, TrojanAnswer]):
    name = "trojan"
    recipe_model = TrojanRecipe
    public_model = TrojanPublic
    secret_model = TrojanSecret
    answer_type = TrojanAnswer
    white_box_baselines = frozenset({"neural_cleanse", "fine_pruning"})  # optimizes a trigger through the model's gradients
    trivial_baseline = "constant"
    reference_recipe = "reference.yaml"
    model_families: ClassVar[dict[str, str]] = {"trojan-cnn": "interpctf.nets.small_cnn",
                                                 "trojan-classifier": "interpctf.nets.image_classifier"}

    def forge(self, recipe: TrojanRecipe, variant: int, seed: int, target: ForgeTarget,
              progress: Progress) -> Forged[TrojanPublic, TrojanSecret]:
        if recipe.answer == "detect":
            return forge_suite(recipe, seed, target, progress)
        if not recipe.legacy():
            return forge_multi(recipe, seed, target, progress)
        return forge_single(recipe, seed, target, progress)

    def parse_answer(self, answer: AnswerFile, challenge: Challenge) -> TrojanAnswer:
        p = self.public(challenge)
        if p.answer == "trigger":
            return answers.parse_trigger(answer, p.input_shape, p.num_classes, p.trigger_budget())
        if p.answer == "target":
            return answers.parse_target(answer, p.num_classes)
        if p.answer == "detect":
            return answers.parse_detect(answer, p.model_ids)
        if p.answer == "triggers":
            return answers.parse_triggers(answer, p.input_shape, p.num_classes, p.trigger_budget(),
                                          p.n_triggers or 1)
        if p.answer == "removal":
            return answers.parse_removal(answer, challenge.bundle_dir / "model")
        return answers.parse_choice(answer, p.n_choices or 0)

    def grade(self, answer: TrojanAnswer, challenge: Challenge) -> Grade:
        expected = self.public(challenge).answer
        if answer.format != expected:
            raise BadAnswer(f"this challenge takes {expected} answers, not {answer.format}")
        # dispatch on the union's discriminator: each branch sees one answer model
        if answer.format == "trigger":
            return grader.grade_trigger(answer, challenge)
        if answer.format == "target":
            return grader.grade_target(answer, challenge)
        if answer.format == "detect":
            return grader.grade_detect(answer, challenge)
        if answer.format == "triggers":
            return grader_multi.grade_triggers(answer, challenge)
        if answer.format == "removal":
            return grader_multi.grade_removal(answer, challenge)
        return grader.grade_choice(answer, challenge)

    def baselines(self) -> dict[str, Baseline]:
        return dict(BASELINES)

    def card(self, challenge: Challenge) -> str:
        return card_text(challenge)

    def study_pictures(self, challenge: Challenge, trojans: list[str], pool: list[str],
                       seed: int) -> dict[str, bytes]:
        from interpctf.kinds.trojan.study_pictures import study_pictures
        return study_pictures(challenge, trojans, pool, seed)

    def measure(self, challenge: Challenge) -> dict[str, float]:
        return measure_single(challenge)
