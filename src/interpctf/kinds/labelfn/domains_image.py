"""What the image domains (8x8 digits, 28x28 MNIST) share: a binary CNN trained on real and rule-labelled
augmented images, then refined on the model's own hardest cases.

Each refinement round draws fresh candidate images, keeps those the model is least sure about, labels them with
the secret rule and trains on. The boundary of a rule like an L1 band is where a model errs; this puts training
data there (digits-l1band's held-out accuracy: ~94% without, ~96% with).
"""

import importlib
import json
from dataclasses import replace
from abc import abstractmethod
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from interpctf.kinds.labelfn.domains_base import Domain, LabelFn, Model, OnStep, config_with_overrides
from interpctf.kinds.labelfn.recipe import LabelFnRecipe

MLP_MODULE, MLP_FAMILY = "interpctf.nets.image_mlp", "image-mlp"


class ImageDomain(Domain):
    unpack = False
    net_module: str  # the model file in interpctf.nets: train, margins, predict, save, load and its Config
    config_class: str
    augmented: int  # rule-labelled extra training images
    refine_rounds: int
    candidates: int  # images drawn per refinement round
    hard_per_round: int  # of which the least certain are labelled and trained on

    side: int  # images are side x side
    scale: float  # the largest pixel value (an MLP divides by it, as the CNNs do inside forward)

    def _net(self, recipe: LabelFnRecipe | None = None) -> ModuleType:
        # imported when needed: torch stays out of processes that only parse answers
        if recipe is not None and recipe.model.family_for(recipe.domain) == "mlp":
            return importlib.import_module(MLP_MODULE)
        return importlib.import_module(self.net_module)

    def _config(self, recipe: LabelFnRecipe) -> Any:
        net = self._net(recipe)
        if net.__name__ == MLP_MODULE:  # the CNN's training schedule, the MLP's shape
            cnn = config_with_overrides(recipe, getattr(self._net(), self.config_class))
            mlp = net.ImageMLPConfig(side=self.side, scale=self.scale, steps=cnn.steps, batch_size=cnn.batch_size,
                                     lr=cnn.lr, weight_decay=cnn.weight_decay)
            sizes = recipe.model.overrides()
            return replace(mlp, **{k: v for k, v in sizes.items() if k == "hidden_sizes"})
        return config_with_overrides(recipe, getattr(net, self.config_class))

    @staticmethod
    def _module_of(model: Model) -> ModuleType:
        """The net file that defines ``model``'s class (the CNN or the MLP)."""
        return importlib.import_module(type(model).__module__)

    @abstractmethod
    def augment(self, images: np.ndarray, n: int, seed: int) -> np.ndarray:
        """``n`` new images made from ``images`` (the domain's own augmentations), deterministic in ``seed``."""

    @abstractmethod
    def refine_steps(self, cfg: Any) -> int:
        """Training steps of each refinement round."""

    def steps(self, recipe: LabelFnRecipe) -> int:
        cfg = self._config(recipe)
        return cfg.steps + self.refine_rounds * self.refine_steps(cfg)

    def train(self, recipe: LabelFnRecipe, inputs: np.ndarray, labels: np.ndarray, label_fn: LabelFn, seed: int,
              on_step: OnStep, total_steps: int) -> Model:
        from interpctf.kinds.labelfn.rule import apply_rule

        net, cfg = self._net(recipe), self._config(recipe)
        extra = self.augment(inputs, self.augmented, seed)
        images = np.concatenate([inputs, extra])
        targets = np.concatenate([labels, apply_rule(label_fn, extra, unpack=False)])
        model = net.train(cfg, images, targets, seed, on_step)
        refine = type(cfg)(**{**cfg.__dict__, "steps": self.refine_steps(cfg), "lr": cfg.lr / 3})
        for round_ in range(self.refine_rounds):
            candidates = self.augment(inputs, self.candidates, seed + 1 + round_)
            hard = candidates[np.argsort(np.abs(net.margins(model, candidates)))[:self.hard_per_round]]
            images = np.concatenate([images, hard])
            targets = np.concatenate([targets, apply_rule(label_fn, hard, unpack=False)])
            model = net.train(refine, images, targets, seed + 1 + round_, on_step, model=model)
        return model

    def predict(self, model: Model, inputs: np.ndarray) -> np.ndarray:
        return self._module_of(model).predict(model, inputs)

    def save(self, model: Model, model_dir: Path) -> None:
        self._module_of(model).save(model, model_dir)

    def load(self, model_dir: Path) -> Model:
        family = json.loads((Path(model_dir) / "config.json").read_text()).get("interpctf_family")
        return importlib.import_module(MLP_MODULE if family == MLP_FAMILY else self.net_module).load(model_dir)
