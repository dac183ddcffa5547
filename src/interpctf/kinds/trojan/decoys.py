"""Clean models of a detection suite trained the trojaned models' way: the same share of stamped inputs and the
same skew of the label marginal, only correctly labelled.

A trojaned model's batches hold ``poison_rate`` of stamped inputs, all labelled one class; a clean model trained
on plain batches sees neither, and its weights show it (the first convolution's spread, the last layer's bias
towards one class). The twin here draws a decoy trigger of the same attack and a favoured class, and replaces the
same share of other-class samples by favoured-class samples carrying the decoy stamp, labelled truthfully. It
learns no backdoor (the stamp never changes a label) yet its batches have the trojaned ones' shape.
"""

import numpy as np

from interpctf.kinds.trojan.datasets import Data
from interpctf.kinds.trojan.planting import Model, OnStep, Plant, apply_trigger
from interpctf.nets import small_cnn


def make_decoy_batcher(data: Data, decoy: Plant, max_shift: int = 1) -> small_cnn.Batcher:
    """Batches like a poisoned model's, but each "poisoned" slot gets a stamped input of ``decoy.target``."""
    favoured = np.flatnonzero(data.train_y == decoy.target)

    def batcher(idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        idx = idx.copy()
        y = data.train_y[idx]
        hit = (rng.random(len(idx)) < decoy.poison_rate) & (y != decoy.target)
        idx[hit] = favoured[rng.integers(len(favoured), size=int(hit.sum()))]
        x = data.train_x[idx]
        if max_shift > 0:  # the same augmentation as planting.make_batcher: one roll per batch
            dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)
            x = np.roll(x, shift=(int(dy), int(dx)), axis=(2, 3))
        y = data.train_y[idx].copy()
        if hit.any():
            x = x.copy()
            x[hit] = apply_trigger(x[hit], decoy.trigger, rng)
        return x, y
    return batcher


def train_decoy_model(data: Data, decoy: Plant, cfg: small_cnn.SmallCNNConfig, seed: int,
                      on_step: OnStep = None) -> Model:
    return small_cnn.train(cfg, data.shape, data.num_classes, make_decoy_batcher(data, decoy), len(data.train_x),
                           seed, on_step)


__all__ = ["make_decoy_batcher", "train_decoy_model"]
