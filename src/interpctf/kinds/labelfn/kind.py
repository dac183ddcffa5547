"""The labelfn kind: a model trained on a secret labeling function; answers are programs for that function."""

from typing import Annotated, ClassVar

import numpy as np
from pydantic import Field

from interpctf.kinds.base import Baseline, Forged, ForgeTarget, HintSolver, Kind, Querier
from interpctf.kinds.labelfn.answer import ProgramAnswer, parse_program
from interpctf.kinds.labelfn.baselines import BASELINES
from interpctf.kinds.labelfn.card import card_text, write_examples
from interpctf.kinds.labelfn.circuit import CircuitAnswer, parse_circuit
from interpctf.kinds.labelfn.domains import DOMAINS
from interpctf.kinds.labelfn.facts import LabelFnPublic, LabelFnSecret
from interpctf.kinds.labelfn.grader import grade_program
from interpctf.kinds.labelfn.measure import measure_heldout
from interpctf.kinds.labelfn.probes import Probes
from interpctf.kinds.labelfn.querier import labelfn_querier
from interpctf.kinds.labelfn.recipe import LabelFnRecipe
from interpctf.kinds.labelfn.rule import apply_rule, compile_rule, materialize
from interpctf.kinds.labelfn.solvers.solver import RULESEARCH, rulesearch_with_hints
from interpctf.progress import Progress
from interpctf.schema import AnswerFile, Challenge, Grade
from interpctf.solvers.entry import SolverEntry

# A program (behaviour: the secret rule) or, on the pairs domain, a circuit (also causal faithfulness to the model).
LabelFnAnswer = Annotated[ProgramAnswer | CircuitAnswer, Field(discriminator="format")]

DEFAULT_STATEMENT = {
    "pairs": "A one-layer transformer reads [x, y, {p}] and answers 0 or 1. It was trained on half of all pairs "
             "labelled by a secret rule. Recover the rule as a program.",
    "digits": "A small CNN labels 8x8 digit images 0 or 1. It was trained on images labelled by a secret rule. "
              "Recover the rule as a program.",
    "mnist": "A CNN labels 28x28 MNIST images 0 or 1. It was trained on MNIST's training images labelled by a "
             "secret rule. Recover the rule as a program.",
}


class LabelFnKind(Kind[LabelFnRecipe, LabelFnPublic, LabelFnSecret, LabelFnAnswer]):
    name = "labelfn"
    recipe_model = LabelFnRecipe
    public_model = LabelFnPublic
    secret_model = LabelFnSecret
    answer_type = LabelFnAnswer
    white_box_baselines = frozenset()  # constant and blackbox both only query the model
    trivial_baseline = "constant"
    reference_recipe = "reference.yaml"
    model_families: ClassVar[dict[str, str]] = {
        "pairs-transformer": "interpctf.nets.pair_transformer",
        "digits-cnn": "interpctf.nets.digits_cnn",
        "mnist-cnn": "interpctf.nets.mnist_cnn",
        "image-mlp": "interpctf.nets.image_mlp",
    }

    def forge(self, recipe: LabelFnRecipe, variant: int, seed: int, target: ForgeTarget,
              progress: Progress) -> Forged[LabelFnPublic, LabelFnSecret]:
        domain = DOMAINS[recipe.domain]
        inputs = domain.inputs(recipe)
        rule_source = materialize(recipe.secret, np.random.default_rng(seed), inputs)
        label_fn = compile_rule(rule_source)
        with progress.step("labelling inputs with the secret rule", total=1) as step:
            truth = apply_rule(label_fn, inputs, domain.unpack)
            step.advance()
        split = domain.split(recipe, seed)

        total = domain.steps(recipe)
        with progress.step(f"training the {recipe.domain} model", total=total) as step:
            model = domain.train(recipe, inputs[split.train], truth[split.train], label_fn, seed,
                                 lambda i, loss: step.advance(), total)
        predictions = domain.predict(model, inputs)
        domain.save(model, target.model_dir)

        heldout_accuracy = float(np.mean(predictions[split.heldout] == truth[split.heldout]))
        train_accuracy = float(np.mean(predictions[split.train] == truth[split.train]))
        probes = Probes.build(recipe.domain, split.public, split.private, truth, predictions)
        public = LabelFnPublic.model_validate({
            "domain": recipe.domain, "signature": domain.signature, "heldout_accuracy": round(heldout_accuracy, 4),
            "n_public_probes": int(len(split.public)), "n_private_probes": int(len(split.private)),
            **domain.public_info(recipe, rule_source, inputs)})
        write_examples(target.examples_dir, domain)
        domain.write_public_files(target.examples_dir, inputs, split, rule_source)
        domain.write_key_files(target.key_dir, inputs, probes.indices)
        return Forged(
            answer_format="program",
            answer_help=f"A Python file defining {domain.signature}. It may import the standard library and "
                        f"numpy. Graded by agreement with the secret rule on held-out probe inputs.",
            public=public,
            secret=LabelFnSecret.model_validate({**probes.to_secret(), "rule_source": rule_source,
                                                 "train_indices": split.train.tolist()}),
            reference_answer=AnswerFile("secret_rule.py", rule_source.encode()),
            metrics={"heldout_accuracy": heldout_accuracy, "train_accuracy": train_accuracy,
                     "positive_fraction": float(truth.mean())},
            statement=DEFAULT_STATEMENT[recipe.domain].format(p=recipe.p),
        )

    def parse_answer(self, answer: AnswerFile, challenge: Challenge) -> LabelFnAnswer:
        domain = DOMAINS[self.public(challenge).domain]
        if (answer.filename or "").lower().endswith((".yaml", ".yml", ".json")):
            from interpctf.kinds.labelfn.circuit_grader import config_of

            return parse_circuit(answer, domain.name, config_of(challenge))
        return parse_program(answer, 2 if domain.unpack else 1)

    def grade(self, answer: LabelFnAnswer, challenge: Challenge) -> Grade:
        if isinstance(answer, CircuitAnswer):
            from interpctf.kinds.labelfn.circuit_grader import grade_circuit  # torch and the model: only to grade

            return grade_circuit(answer, challenge)
        return grade_program(answer, challenge)

    def baselines(self) -> dict[str, Baseline]:
        return dict(BASELINES)

    def solvers(self) -> list[SolverEntry]:
        return [RULESEARCH]

    def hint_solvers(self) -> dict[str, HintSolver]:
        return {"labelfn/rulesearch": rulesearch_with_hints}

    def querier(self) -> Querier:
        return labelfn_querier

    def card(self, challenge: Challenge) -> str:
        return card_text(challenge)

    def measure(self, challenge: Challenge) -> dict[str, float]:
        return measure_heldout(challenge)
