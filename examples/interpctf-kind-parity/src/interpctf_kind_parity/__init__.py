"""The parity kind: an example of a kind living in its own package, found by interpctf through the
``interpctf.kinds`` entry point."""

from interpctf_kind_parity.kind import ParityKind

__all__ = ["ParityKind"]
