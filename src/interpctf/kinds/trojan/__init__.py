"""The trojan kind (the registry names ``interpctf.kinds.trojan.kind:TrojanKind``): backdoored image classifiers,
graded by attack success and AUROC."""
