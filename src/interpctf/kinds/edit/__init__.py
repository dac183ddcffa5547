"""The edit kind (the registry names ``interpctf.kinds.edit.kind:EditKind``): facts of the reference world model
rewritten by ROME or MEMIT; find which, or undo them."""
