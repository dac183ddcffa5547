"""The labelfn kind (the registry names ``interpctf.kinds.labelfn.kind:LabelFnKind``): a model trained on a secret
labeling function; answers are programs for it."""
