"""A tiny forged labelfn challenge (2 variants), cached on disk between test runs (forging takes ~1 min)."""

import hashlib
import json
import os
import shutil
from pathlib import Path

from interpctf import __version__

TINY_RECIPE = {"kind": "labelfn", "title": "Tiny pairs", "domain": "pairs", "p": 23, "seed": 1, "variants": 2,
               "training": {"steps": 150, "batch_size": 256},
               "secret": "def label(x, y):\n    return int(x < 12) ^ int((7 * x + 5 * y) % 61 == 0)\n"}
# x < 12 but for 8 exception pairs: held-out accuracy above the pairs bar (0.97) yet below 1, so solvable
SECRET_ANSWER = b"def label(x, y):\n    return int(x < 12) ^ int((7 * x + 5 * y) % 61 == 0)\n"
WRONG_ANSWER = b"def label(x, y):\n    return 0\n"


def tiny_challenge() -> Path:
    """Forge output folder (``variants/000``, ``variants/001``), forged once per recipe and version."""
    from interpctf.forge import forge
    from interpctf.recipe import parse_recipe

    digest = hashlib.sha256(json.dumps([TINY_RECIPE, __version__], sort_keys=True).encode()).hexdigest()[:12]
    from interpctf.reference import cache_root  # $INTERPCTF_CACHE: CI points it at an empty folder

    cache = Path(os.environ.get("INTERPCTF_TEST_CACHE", cache_root() / "tests"))
    out = cache / f"tiny-{digest}"
    if (out / "variants" / "001" / "key.json").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    staging = cache / f".tiny-{digest}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    forge(parse_recipe(TINY_RECIPE), staging, "tiny", run_baselines=False)
    try:
        os.replace(staging, out)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return out


if __name__ == "__main__":
    print(tiny_challenge())
