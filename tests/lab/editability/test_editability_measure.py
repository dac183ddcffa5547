"""The editability evaluator's pure parts: the capability gate's rule, the edit sets, the editors' layers and the
learning-rate schedule."""

from __future__ import annotations

import pytest

from interpctf.data.world import World, WorldConfig
from interpctf.lab.editability.config import WorldModelConfig
from interpctf.lab.editability.measure import GateReference, edit_sets, editor_layers, gate_failure
from interpctf.lab.editability.train import lr_at

REF = GateReference(recall_train=1.0, recall_paraphrase=0.9, n_params=1000)


def test_the_gate_holds_within_the_tolerance_and_names_the_failing_bar():
    assert gate_failure({"n_params": 1500, "recall_train": 0.98, "recall_paraphrase": 0.88}, REF) is None
    assert gate_failure({"n_params": 1501, "recall_train": 1.0, "recall_paraphrase": 1.0}, REF) == (
        "gate: 1501 parameters is over 1.5x the reference's 1000 (1500)")
    assert gate_failure({"n_params": 10, "recall_train": 0.97, "recall_paraphrase": 1.0}, REF) == (
        "gate: recall_train 0.9700 is below the reference's 1.0000 - 0.02 (0.9800)")
    assert gate_failure({"n_params": 10, "recall_train": 1.0, "recall_paraphrase": 0.87}, REF).startswith(
        "gate: recall_paraphrase 0.8700 is below")


def test_edit_sets_are_fixed_disjoint_and_rewrite_to_another_object_of_the_relation():
    world = World.generate(WorldConfig(n_subjects=30))
    sets = edit_sets(world, 5)
    assert sets == edit_sets(world, 5)
    assert len(sets["val"]) == len(sets["test"]) == 5
    facts = {s: {(e.subject, e.relation) for e in sets[s]} for s in sets}
    assert len(facts["val"]) == 5 and not facts["val"] & facts["test"]
    for e in sets["val"] + sets["test"]:
        assert e.new_object != world.object_of(e.subject, e.relation)
        assert e.new_object in world.objects(e.relation)


def test_rome_edits_the_last_mlp_and_memit_the_last_three():
    assert editor_layers(4) == (3, [1, 2, 3])
    assert editor_layers(2) == (1, [0, 1])
    assert editor_layers(1) == (0, [0])


@pytest.mark.parametrize("schedule, end", [("cosine", 0.05), ("linear", 0.05), ("constant", 1.0)])
def test_schedules_warm_up_then_decay_to_five_percent(schedule, end):
    cfg = WorldModelConfig(steps=110, warmup=10, lr=1.0, lr_schedule=schedule)
    assert lr_at(cfg, 0) == pytest.approx(0.1)
    assert lr_at(cfg, 10) == pytest.approx(1.0)
    assert lr_at(cfg, 110) == pytest.approx(end)
