"""The trojan kind's facts: what its manifests publish and what its keys hold. A single-model challenge and a
detection suite share one model of each, with the other's fields absent."""

from typing import Literal

from interpctf.errors import BadBundle
from interpctf.kinds.base import Facts

AnswerKind = Literal["trigger", "target", "detect", "choice", "triggers", "removal"]


class TrojanPublic(Facts):
    answer: AnswerKind
    dataset: str
    input_shape: tuple[int, int, int]  # (C, H, W)
    num_classes: int
    attack: str | None = None  # single model
    mask_budget: float | None = None  # trigger answers: the mask's L1 budget
    n_choices: int | None = None  # choice answers
    attempts: int | None = None
    model_ids: list[str] = []  # detection suite
    attacks: list[str] = []
    n_triggers: int | None = None  # several-trigger model (answers triggers, removal)
    architecture: str | None = None  # absent: the small CNN
    class_names: list[str] = []

    def trigger_budget(self) -> float:
        if self.mask_budget is None:
            raise BadBundle(f"this trojan challenge takes {self.answer} answers and publishes no mask budget")
        return self.mask_budget


class SuitePlant(Facts):
    attack: str
    target: int


class PlantedTrigger(Facts):
    """One trigger of a several-trigger model; its mask and pattern are in the key's triggers.npz, same order."""

    attack: str
    target: int
    random_position: bool = False
    area: float


class TrojanSecret(Facts):
    # single model
    target: int | None = None
    attack: str | None = None
    random_position: bool = False
    trigger_area: float | None = None
    poison_rate: float | None = None
    choice: int | None = None  # choice answers: the planted trigger's index
    # detection suite
    labels: dict[str, int] = {}  # model id -> 1 if trojaned
    public_ids: list[str] = []
    solve_auroc: float = 0.9
    plants: dict[str, SuitePlant] = {}
    # several-trigger model
    triggers: list[PlantedTrigger] = []
