"""The MNIST domain: 28x28 handwritten digits from the standard IDX files, learnt by a CNN of the 2023 size.

The model trains on the official 60,000 training images (labelled by the secret rule, plus rule-labelled
augmentations) and is measured on the official 10,000 test images, as in 2023. Grading needs the probe images,
and the grader may not have MNIST: they are written to the key's files (``key-files/probe_images.npy``).
"""

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from interpctf.errors import BadBundle
from interpctf.kinds.labelfn.domains_base import Split
from interpctf.kinds.labelfn.domains_image import ImageDomain
from interpctf.kinds.labelfn.facts import LabelFnPublic
from interpctf.kinds.labelfn.recipe import LabelFnRecipe

PROBE_IMAGES = "probe_images.npy"
SAMPLE = "mnist_sample.npy"  # in the bundle's examples: public training images a solver can query with
SAMPLE_SIZE = 1000


@lru_cache(maxsize=2)
def _images(data_dir: str | None, download: bool) -> tuple[np.ndarray, int]:
    """Training then test images as float32 (N, 28, 28), values 0..255; and the number of training images."""
    from interpctf.data.mnist import load_mnist

    data = load_mnist(data_dir, download)
    images = np.concatenate([data.train_images, data.test_images]).astype(np.float32)
    images.setflags(write=False)
    return images, len(data.train_images)


def secret_images(rule_source: str) -> list[np.ndarray]:
    """Every 28x28 array the rule defines at module level (e.g. a drawn SECRET image)."""
    from interpctf.kinds.labelfn.rule import run_source

    found = []
    for value in run_source(rule_source).values():
        if isinstance(value, (list, tuple, np.ndarray)):
            try:
                array = np.asarray(value, dtype=np.float64)
            except (ValueError, TypeError):
                continue
            if array.shape == (28, 28):
                found.append(array)
    return found


def _matches(images: np.ndarray, targets: list[np.ndarray]) -> np.ndarray:
    flat = images.reshape(len(images), -1)
    hit = np.zeros(len(images), dtype=bool)
    for target in targets:
        hit |= np.all(flat == target.reshape(1, -1).astype(flat.dtype), axis=1)
    return hit


class MnistDomain(ImageDomain):
    name = "mnist"
    signature = "label(image: numpy.ndarray of shape (28, 28), values 0..255) -> int"
    net_module, config_class = "interpctf.nets.mnist_cnn", "MnistCNNConfig"
    side, scale = 28, 255.0
    augmented = 20000
    refine_rounds, candidates, hard_per_round = 2, 40000, 10000  # each round trains a third of ``steps``

    def inputs(self, recipe: LabelFnRecipe) -> np.ndarray:
        return _images(recipe.data_dir, recipe.download)[0]

    def split(self, recipe: LabelFnRecipe, seed: int) -> Split:
        images, n_train = _images(recipe.data_dir, recipe.download)
        heldout = np.arange(n_train, len(images))  # the probes are exactly these, as for digits
        probes = np.random.default_rng(seed + 1).permutation(heldout)
        cut = int(round(len(probes) * recipe.public_fraction))
        return Split(train=np.arange(n_train), public=np.sort(probes[:cut]), private=np.sort(probes[cut:]),
                     heldout=heldout)

    def augment(self, images: np.ndarray, n: int, seed: int) -> np.ndarray:
        from interpctf.data.mnist import augment

        return augment(images, n, seed)

    def refine_steps(self, cfg: Any) -> int:
        return max(cfg.steps // 3, 1)

    def public_info(self, recipe: LabelFnRecipe, rule_source: str, inputs: np.ndarray) -> dict[str, object]:
        """Whether the rule's secret image is one of the data set's own images: then searching the data set
        for it (with a black-box model) can solve the challenge, as a 2023 hint that showed it made possible."""
        images, n_train = _images(recipe.data_dir, recipe.download)
        secrets = secret_images(rule_source)
        in_data = bool(secrets) and bool(_matches(images, secrets).any())
        return {"data": "MNIST", "n_train_images": n_train, "n_test_images": len(images) - n_train,
                "secret_image_in_dataset": in_data if secrets else None}

    def write_key_files(self, key_dir: Path, inputs: np.ndarray, probe_indices: np.ndarray) -> None:
        np.save(Path(key_dir) / PROBE_IMAGES, np.asarray(inputs[probe_indices], dtype=np.uint8))

    def write_public_files(self, examples_dir: Path, inputs: np.ndarray, split: Split, rule_source: str) -> None:
        """A sample of training images to query the model with (never a probe, never a secret image)."""
        keep = split.train[~_matches(inputs, secret_images(rule_source))[split.train]]
        rng = np.random.default_rng(len(split.train))
        chosen = np.sort(rng.choice(keep, size=min(SAMPLE_SIZE, len(keep)), replace=False))
        np.save(Path(examples_dir) / SAMPLE, np.asarray(inputs[chosen], dtype=np.uint8))

    def probe_inputs(self, indices: np.ndarray, public: LabelFnPublic, key_dir: Path | None) -> np.ndarray:
        path = Path(key_dir) / PROBE_IMAGES if key_dir is not None else None
        if path is None or not path.is_file():
            raise BadBundle(f"grading an mnist challenge needs the key's files ({PROBE_IMAGES}); "
                            f"keep key-files/ next to key.json")
        images = np.load(path, allow_pickle=False)
        if images.shape != (len(indices), 28, 28):
            raise BadBundle(f"{PROBE_IMAGES} holds {images.shape}, not the key's {len(indices)} probe images")
        return images.astype(np.float32)

    def query_inputs(self, public: LabelFnPublic, bundle_dir: Path) -> np.ndarray:
        from interpctf.data.mnist import augment

        path = Path(bundle_dir) / "examples" / SAMPLE
        if not path.is_file():
            raise BadBundle(f"this mnist bundle has no examples/{SAMPLE}")
        sample = np.load(path, allow_pickle=False).astype(np.float32)
        return np.concatenate([sample, augment(sample, 20000, seed=12345)])
