"""The CIFAR-10 reader on a tiny fixture written in the real format (pickled dicts with bytes keys)."""

import os
import pickle

import numpy as np
import pytest

from interpctf.data.cifar10 import FOLDER, TEST, TRAIN, load_cifar10, read_batch
from interpctf.data.mnist import BadData


def write_batch(path, n, seed):
    rng = np.random.default_rng(seed)
    batch = {b"batch_label": b"training batch", b"labels": [int(v) for v in rng.integers(10, size=n)],
             b"data": rng.integers(256, size=(n, 3072), dtype=np.uint8),
             b"filenames": [f"img_{i}.png".encode() for i in range(n)]}
    path.write_bytes(pickle.dumps(batch, protocol=2))
    return batch


def test_reads_the_python_batches(tmp_path):
    folder = tmp_path / FOLDER
    folder.mkdir()
    first = write_batch(folder / TRAIN[0], 4, 0)
    for i, name in enumerate(TRAIN[1:]):
        write_batch(folder / name, 4, i + 1)
    write_batch(folder / TEST, 3, 9)
    c10 = load_cifar10(str(tmp_path))
    assert c10.train_images.shape == (20, 3, 32, 32) and c10.test_images.shape == (3, 3, 32, 32)
    # channel-major planes: the first 1024 bytes are the red plane
    assert (c10.train_images[0, 0].ravel() == first[b"data"][0, :1024]).all()
    assert list(c10.train_labels[:4]) == first[b"labels"]


def test_missing_files_name_data_dir(tmp_path):
    with pytest.raises(BadData, match="data_dir: no CIFAR-10 python batches"):
        load_cifar10(str(tmp_path))


def test_a_pickle_with_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(BadData, match="is not allowed"):
        read_batch(path)
