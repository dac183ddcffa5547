"""The edit kind: facts of the reference world model rewritten by ROME or MEMIT; find which, or undo them."""

from interpctf.kinds.edit import kind  # noqa: F401  (registers the kind)
