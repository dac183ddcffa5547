"""Model families: each saved model's ``config.json`` names its family; loaders are registered here."""

from importlib import import_module
from pathlib import Path

# family -> module with a ``load(model_dir)`` function; other issues add their families here.
FAMILIES: dict[str, str] = {
    "pairs-transformer": "interpctf.nets.pair_transformer",
    "digits-cnn": "interpctf.nets.digits_cnn",
    "mnist-cnn": "interpctf.nets.mnist_cnn",
    "trojan-cnn": "interpctf.nets.small_cnn",
    "world-gpt": "interpctf.nets.tiny_gpt",
}


def load_family(family: str, model_dir: Path):
    if family not in FAMILIES:
        from interpctf.errors import BadBundle

        raise BadBundle(f"unknown model family {family!r}; this interpctf knows {', '.join(sorted(FAMILIES))}")
    return import_module(FAMILIES[family]).load(model_dir)
