"""The parity recipe: how many input bits, how many of them the secret parity reads, and training settings."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from interpctf.bars import Bar, min_bar
from interpctf.kinds.base import Recipe

# The floor on held-out accuracy: below it the model does not compute the parity, so the secret subset would not
# be what it does. A one-hidden-layer MLP reaches 1.0 on 10 bits with k = 2..3 in a few hundred full-batch steps.
HELDOUT_ACCURACY_FLOOR = 0.98


class Training(BaseModel):
    """The MLP and its full-batch AdamW training."""

    model_config = ConfigDict(extra="forbid")

    hidden: int = Field(default=64, ge=4, le=1024)
    steps: int = Field(default=300, ge=1, le=20_000)
    lr: float = Field(default=0.01, gt=0.0, le=1.0)
    weight_decay: float = Field(default=1e-3, ge=0.0, le=10.0)


class ParityRecipe(Recipe):
    kind: Literal["parity"] = "parity"
    n_bits: int = Field(default=10, ge=4, le=14, description="inputs are all 2**n_bits bit vectors")
    # k = 1 would be found by correlating single bits with the label (the single_bit baseline), so k >= 2.
    k: int = Field(default=3, ge=2, le=4, description="size of the secret subset, drawn from the seed")
    train_fraction: float = Field(default=0.5, gt=0.0, lt=1.0, description="share of all bit vectors trained on")
    public_fraction: float = Field(default=0.3, gt=0.0, lt=1.0,
                                   description="share of the held-out vectors in the public probe split")
    training: Training = Field(default_factory=Training)

    def default_bars(self) -> list[Bar]:
        return [min_bar("min_heldout_accuracy", "heldout_accuracy", HELDOUT_ACCURACY_FLOOR)]
