"""The pairs domain: every (x, y) with 0 <= x, y < p, learnt by a one-layer transformer."""

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from interpctf.data.pairs import all_pairs, split_indices
from interpctf.kinds.labelfn.domains_base import Domain, LabelFn, Model, OnStep, Split, config_with_overrides
from interpctf.kinds.labelfn.recipe import LabelFnRecipe


class PairsDomain(Domain):
    name = "pairs"
    signature = "label(x: int, y: int) -> int"
    unpack = True

    def inputs(self, recipe: LabelFnRecipe) -> np.ndarray:
        return all_pairs(recipe.p)

    def split(self, recipe: LabelFnRecipe, seed: int) -> Split:
        n = recipe.p ** 2
        train, heldout = split_indices(n, recipe.train_fraction, seed)
        public, _ = split_indices(n, recipe.public_fraction, seed + 1)
        # The private split is the whole domain, as the issue asks: a rule must be right everywhere.
        return Split(train=train, public=public, private=np.arange(n), heldout=heldout)

    def _config(self, recipe: LabelFnRecipe) -> Any:
        from interpctf.nets.pair_transformer import PairTransformerConfig

        return replace(config_with_overrides(recipe, PairTransformerConfig), p=recipe.p)

    def steps(self, recipe: LabelFnRecipe) -> int:
        return self._config(recipe).steps

    def train(self, recipe: LabelFnRecipe, inputs: np.ndarray, labels: np.ndarray, label_fn: LabelFn, seed: int,
              on_step: OnStep, total_steps: int) -> Model:
        from interpctf.nets import pair_transformer

        return pair_transformer.train(self._config(recipe), inputs, labels, seed, on_step)

    def predict(self, model: Model, inputs: np.ndarray) -> np.ndarray:
        from interpctf.nets import pair_transformer

        return pair_transformer.predict(model, inputs, model.config.vocab_size - 1)

    def save(self, model: Model, model_dir: Path) -> None:
        from interpctf.nets import pair_transformer

        pair_transformer.save(model, model_dir)

    def load(self, model_dir: Path) -> Model:
        from interpctf.nets import pair_transformer

        return pair_transformer.load(model_dir)

    def public_info(self, recipe: LabelFnRecipe, rule_source: str, inputs: np.ndarray) -> dict[str, object]:
        return {"p": recipe.p, "train_fraction": recipe.train_fraction}
