"""The trojan recipe: data set, attack, answer type and training settings. One challenge = one answer type."""

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from interpctf.bars import Bar, max_bar, min_bar
from interpctf.kinds.base import Recipe

if TYPE_CHECKING:  # the nets import torch; the recipe is parsed without it
    from interpctf.nets.small_cnn import SmallCNNConfig

AnswerType = Literal["trigger", "target", "detect", "choice", "removal"]
Attack = Literal["patch", "blended", "faint"]
WEIGHT_STATS_MIN_MODELS = 10


class Training(BaseModel):
    """Optional overrides of the small CNN's training defaults; clean and trojaned models use the same ones."""

    model_config = ConfigDict(extra="forbid")

    steps: int | None = Field(default=None, ge=1, le=100_000)
    lr: float | None = Field(default=None, gt=0, le=1.0)
    batch_size: int | None = Field(default=None, ge=8, le=4096)


BUILT_IN_DATA = {"digits": 10, "shapes": 10, "cifar10": 10, "mnist": 10}  # name -> classes
MAX_TRIGGERS = 16


class TriggerSpec(BaseModel):
    """One trigger of a several-trigger model: its attack and (optionally) its target class."""

    model_config = ConfigDict(extra="forbid")

    attack: Attack = "patch"
    target: int | None = Field(default=None, ge=0, le=100_000)


class TrojanRecipe(Recipe):
    kind: Literal["trojan"] = "trojan"
    answer: AnswerType = "trigger"
    dataset: Literal["digits", "shapes"] = "digits"
    data: str | None = Field(default=None, min_length=1, max_length=4096,
                             description="cifar10, mnist, digits, shapes or an ImageFolder path (root/class/*.png); "
                                         "replaces dataset")
    data_dir: str | None = Field(default=None, max_length=4096, description="cifar10/mnist: where the files are")
    download: bool = Field(default=False, description="cifar10/mnist: fetch through torchvision when absent")
    architecture: str = Field(default="small_cnn", min_length=1, max_length=100,
                              description="small_cnn, resnet18, resnet34, or a torchvision classifier name")
    width: float = Field(default=1.0, gt=0.0, le=4.0, description="channel multiplier of the built-in nets")
    pretrained: str | None = Field(default=None, max_length=4096,
                                   description="a .safetensors or .pt state dict to fine-tune from")
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    triggers: int | list[TriggerSpec] | None = Field(
        default=None, description="several triggers in one model: a count (attacks cycle through `attacks`) or a "
                                  "list of {attack, target}")
    image_size: int = Field(default=16, ge=8, le=512, description="built-in data: 16, 24 or 32")
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
        if not self.legacy() and not suite:
            # the key's reference answer must solve on both probe splits: the clean twin is the reference
            # removal (its attack success at most 0.1, its accuracy within 2 points) and the reference for found
            # triggers (they may fire on it at most 0.3 of the time)
            removal = self.answer == "removal"
            bars.append(max_bar("max_clean_twin_attack_success", "attack_success_on_clean_max",
                                0.1 if removal else 0.3))
            if removal:
                bars.append(max_bar("max_clean_twin_accuracy_loss", "clean_twin_accuracy_loss_max", 0.02))
        return bars

    @model_validator(mode="after")
    def _consistent(self) -> "TrojanRecipe":
        self._check_model_and_data()
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

    def data_name(self) -> str:
        return self.data or self.dataset

    def legacy(self) -> bool:
        """True for what the small-CNN forge has always made (one trigger, the built-in net, on the CPU): those
        recipes forge exactly as before; everything else goes through the several-trigger forge."""
        return (self.triggers is None and self.answer != "removal" and self.architecture == "small_cnn"
                and self.width == 1.0 and self.pretrained is None and self.device == "cpu")

    def n_triggers(self) -> int:
        if self.triggers is None:
            return 1
        return self.triggers if isinstance(self.triggers, int) else len(self.triggers)

    def trigger_specs(self) -> list[TriggerSpec]:
        """The planted triggers' attacks and fixed targets (None: drawn); a count cycles through ``attacks``."""
        if isinstance(self.triggers, list):
            return list(self.triggers)
        if self.triggers is None:
            return [TriggerSpec(attack=self.attack, target=self.target)]
        return [TriggerSpec(attack=self.attacks[i % len(self.attacks)]) for i in range(self.triggers)]

    def check_classes(self, num_classes: int) -> None:
        """Every trigger needs its own target class among the data's (a folder's count is known only on loading)."""
        specs = self.trigger_specs()
        if len(specs) > num_classes:
            raise ValueError(f"triggers: {len(specs)} triggers but the data has {num_classes} classes; each "
                             f"trigger needs its own target class")
        for i, spec in enumerate(specs):
            if spec.target is not None and spec.target >= num_classes:
                raise ValueError(f"triggers[{i}].target: {spec.target} is not a class (0..{num_classes - 1})")

    def _check_model_and_data(self) -> None:
        from interpctf.errors import BadRecipe
        from interpctf.nets.architectures import check_architecture

        try:
            check_architecture(self.architecture)
        except BadRecipe as exc:
            raise ValueError(str(exc)) from None
        name = self.data_name()
        if name in ("digits", "shapes") and self.image_size not in (16, 24, 32):
            raise ValueError(f"image_size: the built-in {name} come at 16, 24 or 32 pixels, not {self.image_size}")
        if self.data is not None and "dataset" in self.model_fields_set:
            raise ValueError("data: give either data or dataset, not both")
        if self.triggers is not None or self.answer == "removal":
            if self.answer not in ("trigger", "removal"):
                raise ValueError(f"triggers: several triggers take answers trigger or removal, not {self.answer}")
            if self.n_triggers() < 1 or self.n_triggers() > MAX_TRIGGERS:
                raise ValueError(f"triggers: between 1 and {MAX_TRIGGERS}, not {self.n_triggers()}")
            targets = [s.target for s in self.trigger_specs() if s.target is not None]
            if len(set(targets)) != len(targets):
                raise ValueError("triggers: two triggers share a target class; give each its own")
            if name in BUILT_IN_DATA:
                self.check_classes(BUILT_IN_DATA[name])
            if self.n_triggers() * self.poison_rate > 0.9:
                raise ValueError(f"poison_rate: {self.n_triggers()} triggers x {self.poison_rate} poisons over 90% "
                                 f"of each batch; lower it")
        elif not self.legacy() and self.answer != "trigger":
            raise ValueError(f"answer: {self.answer} is made with the built-in small_cnn at width 1 on the cpu "
                             f"only; use answer trigger or removal for other models")

    def training_config(self) -> "SmallCNNConfig":
        from interpctf.nets.small_cnn import SmallCNNConfig

        base = SmallCNNConfig()
        overrides = {k: v for k, v in self.training.model_dump().items() if v is not None}
        return SmallCNNConfig(**{**base.__dict__, **overrides})
