"""The reference challenges (recipes/*.yaml), forged once and cached, for the walkthrough, the demo and tests."""

import os
import shutil
from pathlib import Path

from interpctf.bundle import KEY_NAME, verify
from interpctf.canonical import sha256_hex
from interpctf.errors import InterpctfError
from interpctf.forge import forge
from interpctf.progress import Progress
from interpctf.recipe import load_recipe

RECIPES_DIR = Path(__file__).resolve().parents[2] / "recipes"
LABELFN_REFERENCES = ("pairs-2023", "digits-l1band")


def cache_root() -> Path:
    return Path(os.environ.get("INTERPCTF_CACHE", Path.home() / ".cache" / "interpctf"))


def recipe_path(name: str) -> Path:
    path = RECIPES_DIR / f"{name}.yaml"
    if not path.is_file():
        raise InterpctfError(f"no reference recipe {name!r} in {RECIPES_DIR}")
    return path


def forged_reference(name: str, cache_dir: Path | None = None, progress: Progress | None = None) -> Path:
    """The forge output folder for reference recipe ``name``; forged on first use, reused while it verifies.

    The cache is keyed by the recipe's text, so editing a recipe forges it again.
    """
    path = recipe_path(name)
    digest = sha256_hex(path.read_bytes())[:12]
    out = Path(cache_dir or cache_root() / "reference") / f"{name}-{digest}"
    if (out / KEY_NAME).exists() and verify(out / "bundle", out / KEY_NAME).ok:
        return out
    shutil.rmtree(out, ignore_errors=True)
    forge(load_recipe(path), out, name, progress)
    return out
