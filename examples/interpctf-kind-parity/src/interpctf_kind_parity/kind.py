"""The parity kind: an MLP trained on the parity of a secret subset of its input bits; answer: the subset."""

import json
from typing import ClassVar

import numpy as np

from interpctf.kinds.base import Baseline, Forged, ForgeTarget, Kind, Querier
from interpctf.progress import Progress
from interpctf.schema import AnswerFile, Challenge, Grade
from interpctf_kind_parity import model as mlp
from interpctf_kind_parity.baselines import BASELINES
from interpctf_kind_parity.card import card_text
from interpctf_kind_parity.facts import ParityAnswer, ParityPublic, ParitySecret
from interpctf_kind_parity.grader import grade_bits, parity, parse_bits
from interpctf_kind_parity.querier import parity_querier
from interpctf_kind_parity.recipe import ParityRecipe

STATEMENT = ("A one-hidden-layer MLP reads {n} bits and answers 0 or 1. It was trained on half of all {size} bit "
             "vectors, labelled by the parity (XOR) of a secret subset of the bits. Name the subset.")


class ParityKind(Kind[ParityRecipe, ParityPublic, ParitySecret, ParityAnswer]):
    name = "parity"
    recipe_model = ParityRecipe
    public_model = ParityPublic
    secret_model = ParitySecret
    answer_type = ParityAnswer
    white_box_baselines = frozenset()  # empty and single_bit only query the model
    trivial_baseline = "empty"
    reference_recipe = "reference.yaml"
    model_families: ClassVar[dict[str, str]] = {mlp.FAMILY: "interpctf_kind_parity.model"}

    def forge(self, recipe: ParityRecipe, variant: int, seed: int, target: ForgeTarget,
              progress: Progress) -> Forged[ParityPublic, ParitySecret]:
        rng = np.random.default_rng(seed)
        bits = sorted(int(b) for b in rng.choice(recipe.n_bits, recipe.k, replace=False))
        vectors = mlp.all_vectors(recipe.n_bits)
        truth = parity(vectors, bits)
        order = rng.permutation(len(vectors))
        n_train = int(round(recipe.train_fraction * len(vectors)))
        train, heldout = np.sort(order[:n_train]), np.sort(order[n_train:])
        t = recipe.training
        with progress.step("training the parity MLP", total=1) as step:
            model = mlp.train(vectors[train], truth[train], t.hidden, t.steps, t.lr, t.weight_decay, seed)
            step.advance()
        mlp.save(model, target.model_dir)
        predicted = mlp.predict(model, vectors)
        heldout_accuracy = float(np.mean(predicted[heldout] == truth[heldout]))

        # Probes are held-out vectors: a public split shown during the event, a private one for the standings.
        rows = rng.permutation(len(heldout))
        n_public = max(1, int(round(recipe.public_fraction * len(heldout))))
        public_rows, private_rows = np.sort(rows[:n_public]), np.sort(rows[n_public:])
        (target.examples_dir / "answer_template.json").write_text(json.dumps({"bits": []}) + "\n")
        secret = ParitySecret(bits=bits, train_indices=train.tolist(), probe_indices=heldout.tolist(),
                              probe_model="".join(map(str, predicted[heldout].tolist())),
                              public_rows=public_rows.tolist(), private_rows=private_rows.tolist())
        public = ParityPublic(n_bits=recipe.n_bits, heldout_accuracy=round(heldout_accuracy, 4), n_train=n_train,
                              n_public_probes=len(public_rows), n_private_probes=len(private_rows))
        return Forged(
            answer_format="bits",
            answer_help='A JSON file {"bits": [i, j, ...]} naming the bits whose parity the model computes '
                        f"(indices 0 to {recipe.n_bits - 1}). Solved: the exact subset.",
            public=public, secret=secret,
            reference_answer=AnswerFile("secret_bits.json", json.dumps({"format": "bits", "bits": bits}).encode()),
            metrics={"heldout_accuracy": heldout_accuracy,
                     "train_accuracy": float(np.mean(predicted[train] == truth[train]))},
            statement=STATEMENT.format(n=recipe.n_bits, size=len(vectors)),
        )

    def parse_answer(self, answer: AnswerFile, challenge: Challenge) -> ParityAnswer:
        return parse_bits(answer, self.public(challenge).n_bits)

    def grade(self, answer: ParityAnswer, challenge: Challenge) -> Grade:
        return grade_bits(answer, self.secret(challenge), self.public(challenge).n_bits)

    def baselines(self) -> dict[str, Baseline]:
        return dict(BASELINES)

    def querier(self) -> Querier:
        return parity_querier

    def card(self, challenge: Challenge) -> str:
        return card_text(challenge)

    def measure(self, challenge: Challenge) -> dict[str, float]:
        """Held-out accuracy of the published model against the key's subset, on every vector not trained on."""
        secret = self.secret(challenge)
        vectors = mlp.all_vectors(self.public(challenge).n_bits)
        heldout = np.setdiff1d(np.arange(len(vectors)), secret.train_indices)
        predicted = mlp.predict(mlp.load(challenge.bundle_dir / "model"), vectors[heldout])
        return {"heldout_accuracy": float(np.mean(predicted == parity(vectors[heldout], secret.bits)))}
