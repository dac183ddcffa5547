"""The MNIST loader on IDX files written by the test (conftest.write_mnist_idx): every accepted layout, bad files
with one-line errors, and the download path (skipped: tests have no network)."""

import gzip
import shutil
import struct

import numpy as np
import pytest

from interpctf.data.mnist import BadData, find_files, load_mnist, read_idx


def _expected():
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images, digits.target


def test_reads_the_plain_files_exactly(mnist_dir):
    data = load_mnist(str(mnist_dir))
    images, targets = _expected()
    assert data.train_images.shape == (1500, 28, 28) and data.test_images.shape == (297, 28, 28)
    assert data.train_images.dtype == np.uint8
    # the writer scaled each 8x8 digit 3x and padded it by 2: undo that and compare with the source
    restored = data.train_images[:, 2:26:3, 2:26:3].astype(np.float64) * 16 / 255
    assert np.allclose(restored, images[:1500], atol=0.04)
    assert (data.train_labels == targets[:1500]).all() and (data.test_labels == targets[1500:]).all()


@pytest.mark.parametrize("layout", ["torchvision", "gz"])
def test_accepts_torchvision_layout_and_gzipped_files(mnist_dir, mnist_files, tmp_path, layout):
    if layout == "torchvision":  # what torchvision.datasets.MNIST(root) expects: root/MNIST/raw/<file>
        shutil.copytree(mnist_dir, tmp_path / "MNIST" / "raw")
    else:
        mnist_files(tmp_path, gz=True)
        assert sorted(p.suffix for p in tmp_path.iterdir()) == [".gz"] * 4
    plain = load_mnist(str(mnist_dir))
    data = load_mnist(str(tmp_path))
    assert (data.train_images == plain.train_images).all() and (data.test_labels == plain.test_labels).all()


def test_missing_files_name_what_to_do(tmp_path):
    with pytest.raises(BadData, match="no MNIST files in .*set download: true") as info:
        load_mnist(str(tmp_path))
    assert "\n" not in str(info.value)
    assert find_files(tmp_path) is None


@pytest.mark.parametrize("damage, message", [
    (lambda b: struct.pack(">I", 0x00000801) + b[4:], "not an IDX file of MNIST images"),
    (lambda b: b[:4] + struct.pack(">III", 5, 27, 28) + b[16:], "MNIST is N x 28 x 28"),
    (lambda b: b[:-10], "truncated"),
])
def test_damaged_files_get_one_line_errors(mnist_dir, tmp_path, damage, message):
    for path in mnist_dir.iterdir():
        shutil.copy(path, tmp_path / path.name)
    target = tmp_path / "train-images-idx3-ubyte"
    target.write_bytes(damage(target.read_bytes()))
    with pytest.raises(BadData, match=message) as info:
        load_mnist(str(tmp_path))
    assert "\n" not in str(info.value)


def test_a_gz_that_is_not_gzip_is_refused(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(BadData, match="cannot be read"):
        read_idx(path, 0x00000801)
    path.write_bytes(gzip.compress(struct.pack(">II", 0x00000801, 3) + b"\x01\x02\x03"))
    assert read_idx(path, 0x00000801).tolist() == [1, 2, 3]


def test_download_without_a_working_torchvision_says_what_to_do(tmp_path):
    try:
        import torchvision.datasets  # noqa: F401
    except Exception:  # absent, or built for another torch (PyPI's needs the CUDA torch)
        with pytest.raises(BadData, match="download: true needs a working torchvision") as info:
            load_mnist(str(tmp_path), download=True)
        assert "\n" not in str(info.value)
    else:
        pytest.skip("torchvision works here, and downloading MNIST needs the network, which tests never use")
