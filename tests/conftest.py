"""Shared fixtures: reference challenges (labelfn, edit), forged once per test session."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _forge(tmp_path_factory, name: str, calibrate: bool = False) -> Path:
    from interpctf.forge import forge
    from interpctf.recipe import load_recipe

    out = tmp_path_factory.mktemp(name) / "out"
    forge(load_recipe(RECIPES / f"{name}.yaml"), out, name, calibrate=calibrate)
    return out


@pytest.fixture(scope="session")
def pairs_challenge(tmp_path_factory) -> Path:
    """Forge output folder of recipes/pairs-2023.yaml (the published 2023 rule): bundle/, key.json, key-files/."""
    return _forge(tmp_path_factory, "pairs-2023")


@pytest.fixture(scope="session")
def digits_challenge(tmp_path_factory) -> Path:
    return _forge(tmp_path_factory, "digits-l1band")


@pytest.fixture(scope="session")
def rome_kb_challenge(tmp_path_factory) -> Path:
    """recipes/edit-rome-kb.yaml: one ROME edit, the knowledge base published (trains the world model once)."""
    return _forge(tmp_path_factory, "edit-rome-kb", calibrate=True)


@pytest.fixture(scope="session")
def memit_vocab_challenge(tmp_path_factory) -> Path:
    """recipes/edit-memit-vocab.yaml: three MEMIT edits, only the vocabulary published."""
    return _forge(tmp_path_factory, "edit-memit-vocab", calibrate=True)


def bars_met(key) -> dict[str, float]:
    """What forging guarantees, checked on a forged key: every quality bar it records holds for the kept model's
    figures, and the kept attempt is the last one, within the recipe's attempts. Returns bar name -> threshold,
    so a test can also pin the thresholds it expects (a recipe may tighten a kind's bars, never loosen them)."""
    quality = key.quality
    assert quality is not None and quality.bars, "the key records no quality bars"
    assert 1 <= len(quality.attempts) <= quality.max_attempts and quality.attempts[-1].passed
    for bar in quality.bars:
        figure = key.metrics.get(bar.metric)
        assert bar.met(figure), f"{bar.name} {bar.sign} {bar.threshold}: {bar.metric} = {figure}"
    return {bar.name: bar.threshold for bar in quality.bars}


@pytest.fixture(scope="session")
def forge_guarantees():
    """``forge_guarantees(key) -> {bar: threshold}``: asserts every recorded bar holds (see ``bars_met``)."""
    return bars_met


# A rule the black-box rule search recovers exactly (the solver and calibration tests need one) on a model that is
# not perfect (else no answer could beat it). Held-out accuracy 0.898-0.928 over seeds 0-4 in development, so the
# labelfn floor (0.9) usually holds on the first attempt and the forge retries otherwise; the rule search solved
# all four that met it.
SMALL_PAIRS_RULE = "def label(x, y):\n    return int(abs(x - y) > 6)\n"
SMALL_PAIRS = {"kind": "labelfn", "title": "small pairs", "domain": "pairs", "p": 23, "seed": 3,
               "training": {"steps": 800, "batch_size": 256}, "secret": SMALL_PAIRS_RULE}


@pytest.fixture(scope="session")
def small_pairs(tmp_path_factory) -> Path:
    """Forge output folder (bundle/, key.json) of a calibrated p = 23 pairs challenge (~30 s), inside a folder
    of its own so it is a one-challenge suite too (``small_pairs.parent``)."""
    from interpctf.forge import forge
    from interpctf.recipe import parse_recipe

    out = tmp_path_factory.mktemp("small-pairs") / "suite" / "small"
    forge(parse_recipe(SMALL_PAIRS), out, "small", calibrate=True)
    return out


def write_mnist_idx(folder: Path, n_train: int = 1500, gz: bool = False) -> Path:
    """MNIST-format IDX files made here from scikit-learn's 8x8 digits (no download): each digit scaled 3x to
    24x24, padded to 28x28 and stretched to 0..255, as MNIST centres a digit in a 28x28 frame. The bytes are
    written with struct by the IDX layout (big-endian magic 0x00000803 for images, 0x00000801 for labels, one
    uint32 per dimension, then the data), independently of interpctf's reader."""
    import gzip
    import struct

    import numpy as np
    from sklearn.datasets import load_digits

    digits = load_digits()
    big = np.kron(digits.images, np.ones((3, 3)))  # (N, 24, 24), 0..16
    images = np.pad(np.round(big * 255 / 16), ((0, 0), (2, 2), (2, 2))).astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    parts = {"train": slice(0, n_train), "t10k": slice(n_train, None)}
    for prefix, rows in parts.items():
        for name, array, magic in (("images-idx3-ubyte", images[rows], 0x00000803),
                                   ("labels-idx1-ubyte", labels[rows], 0x00000801)):
            payload = struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.tobytes()
            path = folder / f"{prefix}-{name}"
            if gz:
                path.with_name(path.name + ".gz").write_bytes(gzip.compress(payload))
            else:
                path.write_bytes(payload)
    return folder


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory) -> Path:
    """A folder holding the four MNIST IDX files (1,500 training and 297 test images), plain."""
    return write_mnist_idx(tmp_path_factory.mktemp("mnist"))


@pytest.fixture(scope="session")
def mnist_files():
    """``write_mnist_idx`` for tests that lay the files out themselves."""
    return write_mnist_idx
