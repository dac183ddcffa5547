"""The kind contract (interpctf.testing.kind_contract) over every built-in kind, each forged once from its own
reference recipe (``Kind.reference_recipe``)."""

import json

import pytest

from interpctf.testing import kind_contract


def _labelfn_query(challenge) -> str:
    """Two inputs of the reference challenge's domain: pairs (x, y), or 8x8 digit images."""
    if challenge.manifest.public["domain"] == "pairs":
        return "[[3, 5], [10, 2]]"
    return json.dumps([[[0] * 8] * 8, [[16] * 8] * 8])


def _edit_query(challenge) -> str:
    """A canonical prompt of the published world (a subject and a relation's first template)."""
    from interpctf.data.world import World

    world = World.load(challenge.bundle_dir / "model" / "world.json")
    template = world.relations[0].templates[0].text
    return json.dumps([template.replace("{s}", world.subjects[0]).replace("{o}", "").strip()])


TestLabelfn = kind_contract("labelfn", query=_labelfn_query)
# The trojan reference recipe trains a trojaned CNN and its clean twin: 4 to 7 minutes on two shared cores, so its
# contract runs with the slow tests. It is the TDC-style patch warm-up, whose trigger Neural Cleanse (a white-box
# baseline) is known to reverse; the card says so ("A white-box baseline solves this"), and the check is an xfail.
TestTrojan = kind_contract("trojan", marks=[pytest.mark.slow], solving_baselines={
    "neural_cleanse": "Neural Cleanse reverses the reference recipe's fixed corner patch (white-box; on the card)"})
# The edit kind forges on the reference world model, which the default run trains once anyway (the edit fixtures
# need it: 6 to 20 minutes from an empty cache, CI's case); the contract's own forge then takes seconds. An hour
# for the forge, in case this class is the first to need the world model on a slow machine.
TestEdit = kind_contract("edit", query=_edit_query, marks=[pytest.mark.timeout(3600)])

# The compiled kind forges its reference histogram in about 15 s (Tracr's jax compile is most of it); no querier.
TestCompiled = kind_contract("compiled")

CONTRACTS = {TestLabelfn.kind_name, TestTrojan.kind_name, TestEdit.kind_name, TestCompiled.kind_name}


def test_every_builtin_kind_has_a_contract_here():
    """A new built-in kind joins the contract by one line above; this fails until it does."""
    from interpctf.registry import BUILTINS

    assert set(BUILTINS["kinds"]) == CONTRACTS
