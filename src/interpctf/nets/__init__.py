"""Model families: each saved model's ``config.json`` names its family; the kind that forges a family declares
it (``Kind.model_families``) and the registry's ``model_families`` group maps it to a module with ``load``."""

from pathlib import Path
from types import ModuleType
from typing import Any

from interpctf.errors import BadBundle
from interpctf.registry import UnknownEntry, registry


def load_family(family: str, model_dir: Path) -> Any:
    try:
        module = registry.get_as("model_families", family, ModuleType)
    except UnknownEntry:
        known = ", ".join(registry.names("model_families"))
        raise BadBundle(f"unknown model family {family!r}; this interpctf knows {known}") from None
    return module.load(model_dir)
