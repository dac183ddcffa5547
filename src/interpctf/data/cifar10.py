"""CIFAR-10 (Krizhevsky, 2009) from its standard python files: ``cifar-10-batches-py/data_batch_1`` .. ``_5`` and
``test_batch``, each a pickled dict with ``b"data"`` (N x 3072 uint8, channel-major 32x32 planes) and
``b"labels"``.

The files are read with an unpickler that admits only what numpy needs to rebuild an array (no other global),
so a tampered file cannot run code. Where found, in ``data_dir``: ``cifar-10-batches-py/`` or the files
directly. With ``download: true`` and no files, ``torchvision.datasets.CIFAR10`` fetches them (md5-checked).
"""

import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from interpctf.data.mnist import BadData

FOLDER = "cifar-10-batches-py"
TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST = "test_batch"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
           ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
           ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR-10 batch")
        return super().find_class(module, name)


@dataclass(frozen=True)
class Cifar10:
    train_images: np.ndarray  # uint8 (N, 3, 32, 32)
    train_labels: np.ndarray  # int64 (N,)
    test_images: np.ndarray
    test_labels: np.ndarray


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        batch = _ArraysOnly(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise BadData(f"{path.name} is not a CIFAR-10 python batch: {exc}") from None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise BadData(f"{path.name} is not a CIFAR-10 python batch (no data/labels)")
    data, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise BadData(f"{path.name} holds data {data.shape} {data.dtype}; CIFAR-10 is N x 3072 uint8 with N labels")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise BadData(f"{path.name} has labels outside 0..9")
    return data.reshape(-1, 3, 32, 32), labels


def find_folder(data_dir: Path) -> Path | None:
    for folder in (data_dir / FOLDER, data_dir):
        if all((folder / name).is_file() for name in (*TRAIN, TEST)):
            return folder
    return None


def load_cifar10(data_dir: str | None, download: bool = False) -> Cifar10:
    from interpctf.data.mnist import default_root

    root = Path(data_dir).expanduser() if data_dir else default_root().parent / "cifar10"
    folder = find_folder(root)
    if folder is None and download:
        try:
            from torchvision.datasets import CIFAR10  # type: ignore[import-not-found, import-untyped, unused-ignore]
        except Exception:
            raise BadData("download: fetching CIFAR-10 needs torchvision (pip install 'interpctf[vision]'); "
                          f"or put {FOLDER}/ in data_dir") from None
        try:
            CIFAR10(str(root), download=True)
        except Exception as exc:  # no network, a mirror down, a bad checksum
            raise BadData(f"downloading CIFAR-10 into {root} failed: {' '.join(str(exc).split())[:200]}") from None
        folder = find_folder(root)
    if folder is None:
        raise BadData(f"data_dir: no CIFAR-10 python batches ({FOLDER}/data_batch_1..5, test_batch) under {root}; "
                      f"set data_dir, or download: true with torchvision installed")
    parts = [read_batch(folder / name) for name in TRAIN]
    test_x, test_y = read_batch(folder / TEST)
    return Cifar10(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), test_x, test_y)


__all__ = ["Cifar10", "load_cifar10", "read_batch", "CLASSES", "FOLDER"]
