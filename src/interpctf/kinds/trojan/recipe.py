"""The trojan recipe: data set, attack, answer type and training settings. One challenge = one answer type."""

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from interpctf.bars import Bar, max_bar, min_bar
from interpctf.kinds.base import Recipe

if TYPE_CHECKING:  # the nets import torch; the recipe is parsed without it
    from interpctf.nets.small_cnn import SmallCNNConfig

AnswerType = Literal["trigger", "target", "detect", "choice"]
Attack = Literal["patch", "blended", "faint"]
WEIGHT_STATS_MIN_MODELS = 10


class Training(BaseModel):
    """Optional overrides of the small CNN's training defaults; clean and trojaned models use the same ones."""

    model_config = ConfigDict(extra="forbid")

    steps: int | None = Field(default=None, ge=1, le=100_000)
    lr: float | None = Field(default=None, gt=0, le=1.0)
    batch_size: int | None = Field(default=None, ge=8, le=4096)


class TrojanRecipe(Recipe):
    kind: Literal["trojan"] = "trojan"
    answer: AnswerType = "trigger"
    dataset: Literal["digits", "shapes"] = "digits"
    image_size: Literal[16, 24, 32] = 16
    attack: Attack = Field(default="patch", description="the planted attack (trigger, target and choice answers)")
    attacks: list[Attack] = Field(default=["patch", "blended", "faint"], min_length=1,
                                  description="detect: attacks mixed over the suite's trojaned models")
    position: Literal["fixed", "random"] = Field(default="fixed", description="patch: where the patch is stamped")
    patch_size: tuple[int, int] = Field(default=(3, 10), description="patch side range in pixels (TDC: 3 to 10), "
                                        "capped so the patch covers at most 10% of the image")
    poison_rate: float = Field(default=0.1, gt=0.0, le=0.5)
    target: int | None = Field(default=None, ge=0, le=9, description="target class; drawn from the seed if absent")
    budget_factor: float = Field(default=1.5, ge=1.0, le=10.0,
                                 description="trigger answers: mask L1 budget = factor x the true trigger's area")
    n_models: int = Field(default=20, ge=2, le=200, description="detect: models in the suite")
    trojaned_fraction: float = Field(default=0.5, gt=0.0, lt=1.0)
    n_choices: int = Field(default=8, ge=2, le=26, description="choice: candidate triggers shown")
    samples_per_class: int = Field(default=20, ge=1, le=100, description="clean example inputs shipped per class")
    detect_solve_auroc: float = Field(default=0.9, ge=0.5, le=1.0)
    training: Training = Field(default_factory=Training)

    def default_bars(self) -> list[Bar]:
        """Attack success on held-out inputs of other classes, and the clean accuracy lost against a clean twin
        trained the same way (held-out); a suite is held to its weakest trojaned model."""
        suite = self.answer == "detect"
        bars = [min_bar("min_attack_success", "attack_success_min" if suite else "attack_success", 0.97),
                max_bar("max_clean_accuracy_drop", "accuracy_gap_max" if suite else "accuracy_gap", 0.02)]
        if suite and self.n_models >= WEIGHT_STATS_MIN_MODELS:
            # what weight statistics alone reach (weight_stats.py), reported on the card; the floor is 1.0 (no
            # constraint) because the default procedure does not yet keep it <= 0.65 on every seed (measured 0.84
            # on trojan-detect's), so a recipe tightens it (bars: {max_weight_stats_auroc: 0.65}) to demand it.
            # On fewer models the cross-validated figure is too noisy to hold a suite to.
            bars.append(max_bar("max_weight_stats_auroc", "weight_stats_auroc", 1.0))
        return bars

    @model_validator(mode="after")
    def _consistent(self) -> "TrojanRecipe":
        lo, hi = self.patch_size
        if not 1 <= lo <= hi:
            raise ValueError("patch_size must be [min, max] with 1 <= min <= max")
        if self.position == "random" and self.answer != "detect" and self.attack != "patch":
            raise ValueError("position: random applies to patch attacks only")
        if self.answer == "detect":
            n_trojaned = round(self.n_models * self.trojaned_fraction)
            if not 1 <= n_trojaned < self.n_models:
                raise ValueError("detect needs at least one trojaned and one clean model; change trojaned_fraction")
        return self

    def training_config(self) -> "SmallCNNConfig":
        from interpctf.nets.small_cnn import SmallCNNConfig

        base = SmallCNNConfig()
        overrides = {k: v for k, v in self.training.model_dump().items() if v is not None}
        return SmallCNNConfig(**{**base.__dict__, **overrides})
