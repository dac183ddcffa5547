"""MNIST (28x28 handwritten digits, 60,000 training and 10,000 test images) from its standard IDX files.

Where the files are found, in this order, in a recipe's ``data_dir``:
- torchvision's layout: ``data_dir/MNIST/raw/train-images-idx3-ubyte`` and the three other files;
- the four files directly in ``data_dir``.
Each file may also be gzipped (``train-images-idx3-ubyte.gz``, as distributed). With ``download: true`` and no
files found, ``torchvision.datasets.MNIST`` fetches them (it checks their md5 sums) into torchvision's layout,
under ``data_dir`` or else the interpctf cache.

The IDX files are read here rather than through torchvision's dataset class: the format is four lines (LeCun et
al., http://yann.lecun.com/exdb/mnist/: a big-endian magic number 0x00000803 for images, 0x00000801 for labels,
then one big-endian uint32 per dimension, then the bytes), and reading it needs no torchvision, whose builds
are tied to one torch build (the one on PyPI needs the CUDA torch; with the CPU torch it does not import).
"""

import gzip
import os
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from interpctf.errors import InterpctfError

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801
SIDE = 28
MAX_IMAGES = 1_000_000  # headers are checked before reading; MNIST has 70,000


class BadData(InterpctfError):
    """A data set that is missing, or whose files are not what they claim to be."""


@dataclass(frozen=True)
class Mnist:
    train_images: np.ndarray  # uint8 (N, 28, 28)
    train_labels: np.ndarray  # int64 (N,), the digit
    test_images: np.ndarray
    test_labels: np.ndarray


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_idx(path: Path, magic: int) -> np.ndarray:
    """One IDX file as uint8: images (N, 28, 28) for the images magic, labels (N,) for the labels magic."""
    ndim = 3 if magic == IMAGES_MAGIC else 1
    with _open(path) as f:
        try:
            header = f.read(4 + 4 * ndim)
        except (OSError, EOFError) as exc:  # e.g. a .gz that is not gzip
            raise BadData(f"{path.name} cannot be read: {exc}") from None
        if len(header) < 4 + 4 * ndim or struct.unpack(">I", header[:4])[0] != magic:
            raise BadData(f"{path.name} is not an IDX file of MNIST {'images' if ndim == 3 else 'labels'} "
                          f"(magic number {magic:#010x} expected)")
        dims = struct.unpack(f">{ndim}I", header[4:])
        if dims[0] > MAX_IMAGES or (ndim == 3 and dims[1:] != (SIDE, SIDE)):
            raise BadData(f"{path.name} holds {'x'.join(map(str, dims))}; MNIST is N x {SIDE} x {SIDE}")
        size = int(np.prod(dims))
        try:
            data = f.read(size)
        except (OSError, EOFError) as exc:
            raise BadData(f"{path.name} cannot be read: {exc}") from None
    if len(data) != size:
        raise BadData(f"{path.name} is truncated: {len(data)} of {size} bytes")
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def find_files(data_dir: Path) -> dict[str, Path] | None:
    """The four files in one of the accepted layouts, or None when no layout holds all four."""
    for folder in (Path(data_dir) / "MNIST" / "raw", Path(data_dir)):
        found = {}
        for key, name in FILES.items():
            for candidate in (folder / name, folder / f"{name}.gz"):
                if candidate.is_file():
                    found[key] = candidate
                    break
        if len(found) == len(FILES):
            return found
    return None


def _download(root: Path) -> None:
    try:
        from torchvision.datasets import MNIST
    except Exception as exc:  # ImportError, or a torchvision built for another torch (RuntimeError)
        raise BadData(f"download: true needs a working torchvision ({type(exc).__name__}); install "
                      f"interpctf[vision] with a torch build it matches, or put the four MNIST IDX files in "
                      f"data_dir") from None
    for train in (True, False):
        try:
            MNIST(str(root), train=train, download=True)
        except Exception as exc:  # no network, a mirror down, a bad checksum
            raise BadData(f"downloading MNIST into {root} failed: {' '.join(str(exc).split())[:200]}") from None


def default_root() -> Path:
    return Path(os.environ.get("INTERPCTF_CACHE", Path.home() / ".cache" / "interpctf")) / "mnist"


@lru_cache(maxsize=2)
def load_mnist(data_dir: str | None, download: bool = False) -> Mnist:
    """MNIST from ``data_dir`` (or the cache when None); ``download`` fetches it through torchvision if absent."""
    root = Path(data_dir).expanduser() if data_dir else default_root()
    files = find_files(root)
    if files is None and download:
        _download(root)
        files = find_files(root)
    if files is None:
        raise BadData(f"no MNIST files in {root}: put {', '.join(FILES.values())} (or .gz) there or in "
                      f"{root / 'MNIST' / 'raw'}, or set download: true")
    arrays = {key: read_idx(path, IMAGES_MAGIC if key.endswith("images") else LABELS_MAGIC)
              for key, path in files.items()}
    for split in ("train", "test"):
        n_images, n_labels = len(arrays[f"{split}_images"]), len(arrays[f"{split}_labels"])
        if n_images != n_labels:
            raise BadData(f"MNIST {split} files disagree: {n_images} images, {n_labels} labels")
    data = Mnist(**{k: v.astype(np.int64) if k.endswith("labels") else v for k, v in arrays.items()})
    for array in (data.train_images, data.train_labels, data.test_images, data.test_labels):
        array.setflags(write=False)
    return data


def augment(images: np.ndarray, count: int, seed: int) -> np.ndarray:
    """New plausible 28x28 images, float32 0..255: shifts of up to two pixels, blends of two images, pixel noise.

    Labelled by the secret rule, they put training data between and around the real images, where a band rule's
    boundary runs.
    """
    rng = np.random.default_rng(seed)
    n = len(images)
    a = np.asarray(images[rng.integers(n, size=count)], dtype=np.float32)
    b = np.asarray(images[rng.integers(n, size=count)], dtype=np.float32)
    mix = (rng.uniform(0.0, 1.0, size=(count, 1, 1)) * (rng.random((count, 1, 1)) < 0.5)).astype(np.float32)
    out = (1 - mix) * a + mix * b
    for axis in (1, 2):
        shifts = rng.integers(-2, 3, size=count)
        for shift in (-2, -1, 1, 2):
            out[shifts == shift] = np.roll(out[shifts == shift], shift, axis=axis)
    noisy = rng.random(count) < 0.5
    out[noisy] += rng.normal(0.0, 16.0, size=(int(noisy.sum()), SIDE, SIDE)).astype(np.float32)
    return np.clip(out, 0.0, 255.0)
