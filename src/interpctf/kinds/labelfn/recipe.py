"""The labelfn recipe: a domain, the secret rule as Python source, and training settings."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from interpctf.bars import Bar, min_bar
from interpctf.kinds.base import Recipe
from interpctf.kinds.labelfn.model_spec import ModelSpec

# The kind's floor on held-out accuracy: below it a model does not carry its rule well enough to be a challenge
# (a solver could not tell the rule from the model's mistakes). Reference recipes tighten it to the 2023 bars:
# pairs-2023 to 0.97 (>= 97% on the held-out half), the image recipes to 0.95 (the 2023 CNN's hint: 95.58%).
HELDOUT_ACCURACY_FLOOR = 0.9


class Training(BaseModel):
    """Optional overrides of the domain's training defaults (steps, learning rate, ...)."""

    model_config = ConfigDict(extra="forbid")

    steps: int | None = Field(default=None, ge=1, le=1_000_000)
    lr: float | None = Field(default=None, gt=0, le=1.0)
    weight_decay: float | None = Field(default=None, ge=0)
    batch_size: int | None = Field(default=None, ge=1, le=65536)
    label_smoothing: float | None = Field(default=None, ge=0.0, lt=1.0, description="pairs")
    layer_norm: bool | None = Field(default=None, description="pairs: false = GPT-2's LayerNorms fixed to centering")


class LabelFnRecipe(Recipe):
    kind: Literal["labelfn"] = "labelfn"
    domain: Literal["pairs", "digits", "mnist"]
    p: int = Field(default=113, ge=2, le=1024, description="pairs: inputs are 0 <= x, y < p")
    train_fraction: float = Field(default=0.5, gt=0.0, lt=1.0,
                                  description="pairs: share of all pairs trained on; digits: share of images; "
                                              "mnist: not used (the official 60,000/10,000 split)")
    public_fraction: float = Field(default=0.3, gt=0.0, lt=1.0,
                                   description="share of the probe inputs in the public split")
    secret: str = Field(description="trusted Python source defining label(...) and optionally draw(rng, inputs)")
    training: Training = Field(default_factory=Training)
    model: ModelSpec = Field(default_factory=ModelSpec, description="the model family and its sizes")
    data_dir: str | None = Field(default=None, max_length=4096,
                                 description="mnist: folder with the four MNIST IDX files (default: the cache)")
    download: bool = Field(default=False, description="mnist: fetch MNIST through torchvision when absent")

    @model_validator(mode="after")
    def _domain_fields(self) -> "LabelFnRecipe":
        self.model.check(self.domain)
        if self.model.layer_norm is not None and self.training.layer_norm is not None:
            raise ValueError("model.layer_norm: set layer_norm in model or in training, not both")
        if self.domain != "mnist":
            for name in ("data_dir", "download"):
                if name in self.model_fields_set:
                    raise ValueError(f"'{name}' applies to domain mnist only")
        elif "train_fraction" in self.model_fields_set:
            raise ValueError("domain mnist trains on MNIST's official training images; remove train_fraction")
        return self

    def default_bars(self) -> list[Bar]:
        return [min_bar("min_heldout_accuracy", "heldout_accuracy", HELDOUT_ACCURACY_FLOOR)]

    @field_validator("secret")
    @classmethod
    def _secret_compiles(cls, source: str) -> str:
        try:
            compile(source, "<secret>", "exec")
        except SyntaxError as exc:
            raise ValueError(f"the secret rule has a syntax error at line {exc.lineno}: {exc.msg}") from None
        except (RecursionError, MemoryError):  # the compiler's depth limits; uncaught, a proposal would be a 500
            raise ValueError("the secret rule is nested too deeply to compile") from None
        if "def label" not in source:
            raise ValueError("the secret rule must define a function named 'label'")
        return source
