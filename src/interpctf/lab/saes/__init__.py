"""The SAE architectures: the registry's ``sae_architectures`` group, each entry an
:class:`~interpctf.lab.saes.base.SAE` subclass. Add one by writing a module with a subclass and registering it
(built-ins in :data:`interpctf.registry.BUILTINS`, other packages through the ``interpctf.sae_architectures``
entry point)."""

from __future__ import annotations

from interpctf.errors import InterpctfError
from interpctf.lab.config import SAEConfig
from interpctf.lab.saes.base import SAE, LossParts
from interpctf.registry import registry


def architecture(name: str) -> type[SAE]:
    cls = registry.get("sae_architectures", name)
    if not (isinstance(cls, type) and issubclass(cls, SAE)):
        raise TypeError(f"sae_architectures {name!r} ({registry.source('sae_architectures', name)}) is not an SAE")
    return cls


def architectures() -> dict[str, type[SAE]]:
    """The architectures a config can train by name (not ``code``, the base of a code run's own class)."""
    return {name: cls for name in registry.names("sae_architectures")
            if getattr(cls := architecture(name), "trainable", True)}


def build_sae(config: SAEConfig, d_in: int, d_out: int) -> SAE:
    cls = architecture(config.architecture)
    if not getattr(cls, "trainable", True):
        raise InterpctfError(f"architecture {config.architecture!r} is the base of a code SAE: "
                             "give the module with `interpctf lab run TASK --code my_sae.py`")
    return cls(d_in, config.width, d_out, config)


__all__ = ["SAE", "LossParts", "architecture", "architectures", "build_sae"]
