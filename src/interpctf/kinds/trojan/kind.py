"""The trojan kind: a backdoor planted in a small image classifier; find the trigger, the target, or the
trojaned models of a suite."""

from interpctf.errors import BadAnswer
from interpctf.grade import Grade
from interpctf.kinds import register
from interpctf.kinds.base import Answer, AnswerFile, Challenge, Forged, ForgeTarget, Kind
from interpctf.kinds.trojan import answers, grader
from interpctf.kinds.trojan.baselines import BASELINES
from interpctf.kinds.trojan.card import card_text
from interpctf.kinds.trojan.forge_single import forge_single
from interpctf.kinds.trojan.forge_suite import forge_suite
from interpctf.kinds.trojan.measure import measure_single
from interpctf.kinds.trojan.recipe import TrojanRecipe
from interpctf.progress import Progress

GRADERS = {"trigger": grader.grade_trigger, "target": grader.grade_target, "detect": grader.grade_detect,
           "choice": grader.grade_choice}


@register
class TrojanKind(Kind):
    name = "trojan"
    recipe_model = TrojanRecipe
    white_box_baselines = frozenset({"neural_cleanse"})  # optimizes a trigger through the model's gradients
    trivial_baseline = "constant"

    def forge(self, recipe: TrojanRecipe, variant: int, seed: int, target: ForgeTarget,
              progress: Progress) -> Forged:
        if recipe.answer == "detect":
            return forge_suite(recipe, seed, target, progress)
        return forge_single(recipe, seed, target, progress)

    def parse_answer(self, answer: AnswerFile, challenge: Challenge) -> Answer:
        p = challenge.manifest.public
        kind = p.get("answer")
        if kind == "trigger":
            return answers.parse_trigger(answer, tuple(p["input_shape"]), int(p["num_classes"]),
                                         float(p["mask_budget"]))
        if kind == "target":
            return answers.parse_target(answer, int(p["num_classes"]))
        if kind == "detect":
            return answers.parse_detect(answer, list(p["model_ids"]))
        if kind == "choice":
            return answers.parse_choice(answer, int(p["n_choices"]))
        raise BadAnswer("this bundle names no trojan answer type")

    def grade(self, answer: Answer, challenge: Challenge) -> Grade:
        expected = challenge.manifest.public.get("answer")
        if answer.format != expected:
            raise BadAnswer(f"this challenge takes {expected} answers, not {answer.format}")
        return GRADERS[answer.format](answer, challenge)

    def baselines(self):
        return dict(BASELINES)

    def card(self, challenge: Challenge) -> str:
        return card_text(challenge)

    def measure(self, challenge: Challenge) -> dict[str, float]:
        return measure_single(challenge)
