"""Trojan challenges forged once per session with small but real settings."""

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
RECIPES = ROOT / "recipes"


def forge_recipe(tmp_path_factory, name: str, overrides: dict | None = None, baselines: bool = True) -> Path:
    import yaml

    from interpctf.forge import forge
    from interpctf.recipe import parse_recipe

    data = yaml.safe_load((RECIPES / f"{name}.yaml").read_text())
    data.update(overrides or {})
    out = tmp_path_factory.mktemp(name) / "out"
    forge(parse_recipe(data, name), out, name, run_baselines=baselines)
    return out


@pytest.fixture(scope="session")
def patch_challenge(tmp_path_factory) -> Path:
    """recipes/trojan-patch.yaml as is, with its baselines (one Neural Cleanse run)."""
    return forge_recipe(tmp_path_factory, "trojan-patch")


@pytest.fixture(scope="session")
def small_suite(tmp_path_factory) -> Path:
    """A 4-model detection suite (2 trojaned with patches), 400 training steps each, no baselines."""
    return forge_recipe(tmp_path_factory, "trojan-detect",
                        {"n_models": 4, "attacks": ["patch"], "title": "small suite", "training": {"steps": 400}},
                        baselines=False)


@pytest.fixture
def forge_trojan(tmp_path_factory):
    """forge_trojan(name, overrides=None, baselines=True) -> forge output folder."""
    return lambda name, overrides=None, baselines=True: forge_recipe(tmp_path_factory, name, overrides, baselines)


def write_folder(root: Path, classes: int, per_class: int = 4, size: int = 32) -> Path:
    from PIL import Image

    from interpctf.data.shapes import CLASSES, make_shapes

    x, y = make_shapes(per_class * 10 * 3, size, seed=3)
    for k in range(classes):
        (root / CLASSES[k]).mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(x[y == k][:per_class]):
            Image.fromarray((img.transpose(1, 2, 0) * 255).astype(np.uint8)).save(root / CLASSES[k] / f"{i}.png")
    return root


@pytest.fixture(scope="session")
def make_image_folder():
    """make_image_folder(root, classes, per_class=4, size=32) -> root: an ImageFolder of shapes PNGs."""
    return write_folder
