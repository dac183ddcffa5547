"""The kind registry: each kind is a plug-in module that registers one :class:`Kind` subclass."""

from importlib import import_module

from interpctf.errors import InterpctfError
from interpctf.kinds.base import Kind

# name -> module that defines and registers it; imported lazily so the CLI starts fast.
_BUILTIN_MODULES = {
    "labelfn": "interpctf.kinds.labelfn",
    "trojan": "interpctf.kinds.trojan",
    "edit": "interpctf.kinds.edit",
}

_REGISTRY: dict[str, type[Kind]] = {}


def register(cls: type[Kind]) -> type[Kind]:
    """Class decorator: make a kind available by its ``name``."""
    _REGISTRY[cls.name] = cls
    return cls


def kind_names() -> list[str]:
    return sorted(set(_REGISTRY) | set(_BUILTIN_MODULES))


def get_kind(name: str) -> Kind:
    if name not in _REGISTRY and name in _BUILTIN_MODULES:
        import_module(_BUILTIN_MODULES[name])
    if name not in _REGISTRY:
        raise InterpctfError(f"unknown kind {name!r}; known kinds: {', '.join(kind_names())}")
    return _REGISTRY[name]()
