"""Caps on what a league recipe proposal may ask the server to forge, checked before any forging starts.

The forge profile's budgets (CPU, wall, memory, disk) bound a job whatever it does; these caps refuse, with one
line, a recipe that could only run into them: too many training steps, variants, a too large ``p`` or a model
with too many parameters. Each kind says how big its recipe is (a registry, like the kinds themselves).
Sizes that need the model built (its parameter count, steps from the kind's defaults) are taken with ``full``:
the forge job does that before it runs any of the proposer's code; the web process checks the recipe's own
fields only, so it never imports torch.
"""

from dataclasses import dataclass
from typing import Callable

from pydantic import BaseModel, ConfigDict, Field

from interpctf.errors import BadRecipe
from interpctf.kinds.base import Recipe


class RecipeCaps(BaseModel):
    """Per event, under ``league.recipe_caps``: the largest recipe proposal the server forges."""

    model_config = ConfigDict(extra="forbid")
    max_steps: int = Field(default=20_000, ge=1)  # training steps of one model
    max_models: int = Field(default=32, ge=1)  # models trained in one forge (variants x models per variant)
    max_p: int = Field(default=127, ge=2)  # labelfn pairs: inputs 0 <= x, y < p
    max_parameters: int = Field(default=5_000_000, ge=1)  # of the model the recipe builds


@dataclass
class RecipeSize:
    steps: int | None = None
    models: int = 1
    p: int | None = None
    parameters: int | None = None


def _meta_parameters(build: Callable[[], object]) -> int:
    """Parameters of the module ``build`` makes, built on torch's meta device (no memory is allocated)."""
    import torch

    with torch.device("meta"):
        module = build()
    return int(sum(t.numel() for t in module.parameters()))


def _labelfn(recipe, full: bool) -> RecipeSize:
    from interpctf.kinds.labelfn.domains import DOMAINS

    size = RecipeSize(steps=recipe.training.steps, models=recipe.variants,
                      p=recipe.p if recipe.domain == "pairs" else None)
    if full:
        domain = DOMAINS[recipe.domain]
        size.steps = domain.steps(recipe)
        if recipe.domain == "pairs":  # the image domains' networks are fixed; the pairs model grows with p
            from interpctf.nets import pair_transformer

            size.parameters = _meta_parameters(lambda: pair_transformer.build(domain._config(recipe), 0))
    return size


def _trojan(recipe, full: bool) -> RecipeSize:
    per_variant = recipe.n_models if recipe.answer == "detect" else 2  # a suite, or the clean and trojaned pair
    steps = recipe.training_config().steps if full else recipe.training.steps
    return RecipeSize(steps=steps, models=recipe.variants * per_variant)


def _edit(recipe, full: bool) -> RecipeSize:
    return RecipeSize(models=recipe.variants)  # edits the cached world model: nothing is trained


SIZERS: dict[str, Callable[[Recipe, bool], RecipeSize]] = {"labelfn": _labelfn, "trojan": _trojan, "edit": _edit}


def check_caps(recipe: Recipe, caps: RecipeCaps, full: bool = False) -> None:
    """Raise BadRecipe with one line naming the first cap the recipe exceeds."""
    sizer = SIZERS.get(recipe.kind)
    if sizer is None:
        raise BadRecipe(f"this league does not forge {recipe.kind!r} recipes; upload a forged bundle and key instead")
    size = sizer(recipe, full)
    checks = (("training steps", size.steps, caps.max_steps), ("models to train", size.models, caps.max_models),
              ("p", size.p, caps.max_p), ("model parameters", size.parameters, caps.max_parameters))
    for what, value, cap in checks:
        if value is not None and value > cap:
            raise BadRecipe(f"refused: the recipe's {what}: {value:,}, over this league's cap of {cap:,} (forge it "
                            f"yourself and propose the bundle and key)")
