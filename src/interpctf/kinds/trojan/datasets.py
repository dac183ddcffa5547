"""The data sets a trojan challenge trains on, and their deterministic train / held-out split."""

from dataclasses import dataclass

import numpy as np

DATASETS = ("digits", "shapes")
SHAPES_TRAIN = 4000
SHAPES_HELDOUT = 1000


@dataclass(frozen=True)
class Data:
    name: str
    train_x: np.ndarray  # (N, C, H, W) float32 in [0, 1]
    train_y: np.ndarray
    heldout_x: np.ndarray
    heldout_y: np.ndarray
    num_classes: int

    @property
    def shape(self) -> tuple[int, int, int]:
        c, h, w = (int(v) for v in self.train_x.shape[1:])
        return c, h, w


def load_data(name: str, size: int, split_seed: int, heldout_fraction: float = 0.3) -> Data:
    """Digits: a seeded split of the 1,797 images. Shapes: fresh images drawn from seeds derived from ``split_seed``."""
    if name == "digits":
        from interpctf.data.digits_upsampled import upsampled_digits

        x, y = upsampled_digits(size)
        order = np.random.default_rng(split_seed).permutation(len(x))
        cut = int(round(len(x) * (1 - heldout_fraction)))
        tr, ho = np.sort(order[:cut]), np.sort(order[cut:])
        return Data(name, x[tr], y[tr], x[ho], y[ho], 10)
    if name == "shapes":
        from interpctf.data.shapes import make_shapes

        tx, ty = make_shapes(SHAPES_TRAIN, size, seed=split_seed * 2 + 1)
        hx, hy = make_shapes(SHAPES_HELDOUT, size, seed=split_seed * 2 + 2)
        return Data(name, tx, ty, hx, hy, 10)
    raise ValueError(f"unknown data set {name!r}; one of {', '.join(DATASETS)}")
