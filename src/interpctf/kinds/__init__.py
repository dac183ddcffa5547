"""The kinds: the registry's ``kinds`` group, each entry a :class:`~interpctf.kinds.base.Kind` subclass.

Built-in kinds live one per folder here; third-party kinds come through the ``interpctf.kinds`` entry point.
A kind also brings its querier and its model families, registered here under the kind's name when their
groups are first used.
"""

from typing import Any

from interpctf.kinds.base import Kind
from interpctf.registry import Registry, registry

AnyKind = Kind[Any, Any, Any, Any]


def kind_names() -> list[str]:
    return registry.names("kinds")


def kind_class(name: str) -> type[AnyKind]:
    cls = registry.get("kinds", name)
    if not (isinstance(cls, type) and issubclass(cls, Kind)):
        raise TypeError(f"kinds {name!r} ({registry.source('kinds', name)}) is not a Kind subclass")
    return cls


def get_kind(name: str) -> AnyKind:
    """An instance of the kind named ``name``; an unknown name is a one-line error listing the known kinds."""
    return kind_class(name)()


def register_kind_queriers(reg: Registry) -> None:
    """Each kind's agent query tool, under the kind's name (the registry calls this when it loads queriers)."""
    for name in reg.names("kinds"):
        querier = get_kind(name).querier()
        if querier is not None:
            reg.register("queriers", name, querier, source=f"kind {name} ({reg.source('kinds', name)})")


def register_kind_model_families(reg: Registry) -> None:
    """Each kind's model families: family -> module with ``load(model_dir)``."""
    for name in reg.names("kinds"):
        for family, module in kind_class(name).model_families.items():
            reg.register("model_families", family, module, source=f"kind {name} ({reg.source('kinds', name)})")


__all__ = ["Kind", "AnyKind", "kind_names", "kind_class", "get_kind"]
