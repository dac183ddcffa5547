"""Training a trojaned model (all-to-one poisoning during training) and its clean twin, and measuring both.

Poisoning is applied per batch: each sample of another class is stamped with the trigger and relabelled to the
target with probability ``poison_rate``. The clean twin runs the identical loop with rate 0: same architecture,
optimiser, schedule, augmentation and step count, so nothing but the weights tells them apart.
"""

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from interpctf.kinds.trojan.datasets import Data
from interpctf.kinds.trojan.triggers import Trigger, stamp, stamp_random_positions
from interpctf.nets import small_cnn


@dataclass(frozen=True)
class Plant:
    trigger: Trigger
    target: int
    poison_rate: float


def _shift(images: np.ndarray, rng: np.random.Generator, max_shift: int) -> np.ndarray:
    if max_shift <= 0:
        return images
    dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)
    return np.roll(images, shift=(int(dy), int(dx)), axis=(2, 3))


def apply_trigger(images: np.ndarray, trigger: Trigger, rng: np.random.Generator) -> np.ndarray:
    if trigger.random_position:
        return stamp_random_positions(images, trigger, rng)
    return stamp(images, trigger.mask, trigger.pattern)


Model = Any  # a small_cnn module (torch is untyped here)
OnStep = Callable[[int, float], object] | None
Batcher = Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def make_batcher(data: Data, plant: Plant | None, max_shift: int = 1) -> Batcher:
    def batcher(idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = _shift(data.train_x[idx], rng, max_shift)
        y = data.train_y[idx].copy()
        if plant is not None and plant.poison_rate > 0:
            hit = (rng.random(len(idx)) < plant.poison_rate) & (y != plant.target)
            if hit.any():
                x = x.copy()
                x[hit] = apply_trigger(x[hit], plant.trigger, rng)
                y[hit] = plant.target
        return x, y
    return batcher


def train_model(data: Data, plant: Plant | None, cfg: small_cnn.SmallCNNConfig, seed: int,
                on_step: OnStep = None) -> Model:
    return small_cnn.train(cfg, data.shape, data.num_classes, make_batcher(data, plant), len(data.train_x), seed,
                           on_step)


def clean_accuracy(model: Model, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(small_cnn.predict(model, x) == y)) if len(x) else 0.0


def attack_success(model: Model, x: np.ndarray, y: np.ndarray, trigger: Trigger, target: int, seed: int = 0) -> float:
    """Share of held-out inputs of other classes that the stamped trigger sends to ``target``."""
    keep = y != target
    stamped = apply_trigger(x[keep], trigger, np.random.default_rng(seed))
    return float(np.mean(small_cnn.predict(model, stamped) == target)) if keep.any() else 0.0
