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
from interpctf.nets import image_classifier, small_cnn
from interpctf.nets.image_classifier import NetSpec


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


def make_batcher(data: Data, plant: Plant | list[Plant] | None, max_shift: int = 1) -> Batcher:
    """Batches with each plant's share of poisoned samples; with several plants one uniform draw per sample
    picks at most one trigger (disjoint bands of width ``poison_rate``), so a single plant draws exactly as before."""
    plants = [] if plant is None else [plant] if isinstance(plant, Plant) else list(plant)

    def batcher(idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = _shift(data.train_x[idx], rng, max_shift)
        y = data.train_y[idx].copy()
        if not plants or all(p.poison_rate <= 0 for p in plants):
            return x, y
        draw, low, clean_y = rng.random(len(idx)), 0.0, y.copy()
        for p in plants:
            hit = (draw >= low) & (draw < low + p.poison_rate) & (clean_y != p.target)
            low += p.poison_rate
            if hit.any():
                x = x.copy()
                x[hit] = apply_trigger(x[hit], p.trigger, rng)
                y[hit] = p.target
        return x, y
    return batcher


def train_model(data: Data, plant: Plant | list[Plant] | None, cfg: small_cnn.SmallCNNConfig, seed: int,
                on_step: OnStep = None, net: NetSpec | None = None) -> Model:
    """The small CNN as always when ``net`` is None; else the recipe's architecture (and device)."""
    if net is None:
        return small_cnn.train(cfg, data.shape, data.num_classes, make_batcher(data, plant), len(data.train_x),
                               seed, on_step)
    return image_classifier.train(net, cfg.steps, cfg.batch_size, cfg.lr, cfg.weight_decay, data.shape,
                                  data.num_classes, make_batcher(data, plant), len(data.train_x), seed, on_step)


def clean_accuracy(model: Model, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(image_classifier.predict(model, x) == y)) if len(x) else 0.0


def attack_success(model: Model, x: np.ndarray, y: np.ndarray, trigger: Trigger, target: int, seed: int = 0) -> float:
    """Share of held-out inputs of other classes that the stamped trigger sends to ``target``."""
    keep = y != target
    stamped = apply_trigger(x[keep], trigger, np.random.default_rng(seed))
    return float(np.mean(image_classifier.predict(model, stamped) == target)) if keep.any() else 0.0
