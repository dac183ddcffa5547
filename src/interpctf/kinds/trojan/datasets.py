"""The data sets a trojan challenge trains on, and their deterministic train / held-out split.

Built in (offline): ``digits`` and ``shapes``. From files: ``cifar10`` (its python batches in ``data_dir``),
``mnist`` (its IDX files in ``data_dir``), both split as published (train / test), and an ``ImageFolder`` path
(root/<class>/*.png), split from the seed. Every image is float32 (N, C, size, size) in [0, 1].
"""

from dataclasses import dataclass

import numpy as np

DATASETS = ("digits", "shapes")
FILE_DATASETS = {"cifar10": 10, "mnist": 10}  # name -> classes
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
    class_names: tuple[str, ...] = ()

    @property
    def shape(self) -> tuple[int, int, int]:
        c, h, w = (int(v) for v in self.train_x.shape[1:])
        return c, h, w


def _resized(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N, C, h, w) -> float32 (N, C, size, size) in [0, 1]; bilinear with antialiasing when shrinking."""
    x = images.astype(np.float32) / 255.0
    if x.shape[-1] == size:
        return x
    import torch
    from torch.nn import functional as F

    out = [F.interpolate(torch.from_numpy(x[i:i + 4096]), size=(size, size), mode="bilinear", antialias=True,
                         align_corners=False).clamp(0, 1).numpy() for i in range(0, len(x), 4096)]
    return np.concatenate(out).astype(np.float32)


def load_data(name: str, size: int, split_seed: int, heldout_fraction: float = 0.3, data_dir: str | None = None,
              download: bool = False) -> Data:
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
    if name == "cifar10":
        from interpctf.data.cifar10 import CLASSES, load_cifar10

        c10 = load_cifar10(data_dir, download)
        return Data(name, _resized(c10.train_images, size), c10.train_labels, _resized(c10.test_images, size),
                    c10.test_labels, 10, CLASSES)
    if name == "mnist":
        from interpctf.data.mnist import load_mnist

        m = load_mnist(data_dir, download)
        return Data(name, _resized(m.train_images[:, None], size), m.train_labels,
                    _resized(m.test_images[:, None], size), m.test_labels, 10, tuple(str(d) for d in range(10)))
    from interpctf.data.image_folder import load_image_folder

    x, y, classes = load_image_folder(name, size)
    order = np.random.default_rng(split_seed).permutation(len(x))
    cut = int(round(len(x) * (1 - heldout_fraction)))
    tr, ho = np.sort(order[:cut]), np.sort(order[cut:])
    return Data("folder", x[tr], y[tr], x[ho], y[ho], len(classes), classes)
