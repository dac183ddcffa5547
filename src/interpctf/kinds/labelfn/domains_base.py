"""What a labelfn domain is: its inputs, how they split, which model family learns them, and how it is graded."""

from abc import ABC, abstractmethod
from typing import Any, Callable, TypeVar
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from interpctf.errors import BadRecipe
from interpctf.kinds.labelfn.facts import LabelFnPublic
from interpctf.kinds.labelfn.recipe import LabelFnRecipe


@dataclass
class Split:
    """Indices into ``Domain.inputs``: what the model trains on and the two probe splits graders use."""

    train: np.ndarray
    public: np.ndarray
    private: np.ndarray
    heldout: np.ndarray  # inputs never trained on: accuracy is measured here


Model = Any  # a torch module of the domain's model family (torch is untyped here)
LabelFn = Callable[..., int]
OnStep = Callable[[int, float], object]
Config = TypeVar("Config")


def config_with_overrides(recipe: LabelFnRecipe, config_cls: type[Config]) -> Config:
    """The model family's default config with the recipe's ``training`` overrides; options the family lacks
    are a recipe error, not silently ignored."""
    overrides = {k: v for k, v in recipe.training.model_dump().items() if v is not None}
    defaults = vars(config_cls())
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise BadRecipe(f"training option {unknown[0]!r} does not apply to domain {recipe.domain}; "
                        f"it takes {', '.join(sorted(defaults))}")
    sizes = recipe.model.overrides()  # checked against the family when the recipe was parsed
    return config_cls(**{**defaults, **overrides, **{k: v for k, v in sizes.items() if k in defaults}})


class Domain(ABC):
    name: str
    signature: str
    unpack: bool  # True: label(*row) with ints; False: label(row) with a float array

    @abstractmethod
    def inputs(self, recipe: LabelFnRecipe) -> np.ndarray: ...

    @abstractmethod
    def split(self, recipe: LabelFnRecipe, seed: int) -> Split: ...

    @abstractmethod
    def train(self, recipe: LabelFnRecipe, inputs: np.ndarray, labels: np.ndarray, label_fn: LabelFn, seed: int,
              on_step: OnStep, total_steps: int) -> Model: ...

    @abstractmethod
    def steps(self, recipe: LabelFnRecipe) -> int: ...

    @abstractmethod
    def predict(self, model: Model, inputs: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def save(self, model: Model, model_dir: Path) -> None: ...

    @abstractmethod
    def load(self, model_dir: Path) -> Model: ...

    def public_info(self, recipe: LabelFnRecipe, rule_source: str, inputs: np.ndarray) -> dict[str, object]:
        """Facts about the challenge for the manifest (never the secret)."""
        return {}

    def write_public_files(self, examples_dir: Path, inputs: np.ndarray, split: Split, rule_source: str) -> None:
        """Files published in the bundle's examples besides the answer template."""

    def write_key_files(self, key_dir: Path, inputs: np.ndarray, probe_indices: np.ndarray) -> None:
        """Files the grader needs besides the key (a domain whose inputs need data the grader may lack)."""

    def probe_inputs(self, indices: np.ndarray, public: LabelFnPublic, key_dir: Path | None) -> np.ndarray:
        """The probe inputs a grader runs answers on."""
        return self.inputs(self._recipe(public))[indices]

    def query_inputs(self, public: LabelFnPublic, bundle_dir: Path) -> np.ndarray:
        """Inputs a black-box solver would query the model on, from public material only."""
        return self.inputs(self._recipe(public))

    def _recipe(self, public: LabelFnPublic) -> LabelFnRecipe:
        """Enough of a recipe to rebuild the domain's inputs from what the manifest publishes."""
        fields: dict[str, Any] = {"domain": public.domain, "p": public.p}  # model_construct: no validation
        return LabelFnRecipe.model_construct(**fields)
