"""The digits domain: scikit-learn's bundled 8x8 digits (offline), learnt by a small CNN."""

from pathlib import Path
from typing import Any

import numpy as np

from interpctf.data.digits import augment, digit_images
from interpctf.data.pairs import split_indices
from interpctf.kinds.labelfn.domains_base import Split
from interpctf.kinds.labelfn.domains_image import ImageDomain
from interpctf.kinds.labelfn.facts import LabelFnPublic
from interpctf.kinds.labelfn.recipe import LabelFnRecipe


class DigitsDomain(ImageDomain):
    name = "digits"
    signature = "label(image: numpy.ndarray of shape (8, 8), values 0..16) -> int"
    net_module, config_class = "interpctf.nets.digits_cnn", "DigitsCNNConfig"
    side, scale = 8, 16.0
    augmented = 30000
    refine_rounds, refine_steps_each, candidates, hard_per_round = 2, 1000, 100000, 15000

    def inputs(self, recipe: LabelFnRecipe) -> np.ndarray:
        return digit_images()

    def split(self, recipe: LabelFnRecipe, seed: int) -> Split:
        n = len(digit_images())
        train, heldout = split_indices(n, recipe.train_fraction, seed)
        rng = np.random.default_rng(seed + 1)
        shuffled = rng.permutation(heldout)
        cut = int(round(len(heldout) * recipe.public_fraction))
        return Split(train=train, public=np.sort(shuffled[:cut]), private=np.sort(shuffled[cut:]), heldout=heldout)

    def augment(self, images: np.ndarray, n: int, seed: int) -> np.ndarray:
        return augment(images, n, seed)

    def refine_steps(self, cfg: Any) -> int:
        return self.refine_steps_each

    def query_inputs(self, public: LabelFnPublic, bundle_dir: Path) -> np.ndarray:
        # black-box access means querying any image we like, not only real ones
        images = digit_images()
        return np.concatenate([images, augment(images, 20000, seed=12345)])
