"""MEMIT with a handful of edits at once on the reference world model."""

import pytest
import torch

from interpctf.editing import MemitParams, apply_edits, edit_metrics, random_edits
from interpctf.editing.hooks import mlp_proj
from interpctf.errors import InterpctfError
from interpctf.nets.tiny_gpt_reference import reference_world_model


@pytest.fixture(scope="module")
def wm():
    return reference_world_model()


@pytest.fixture(scope="module")
def run(wm, tmp_path_factory):
    edits = random_edits(wm.world, 5, seed=21)
    model = apply_edits(wm.model, wm.tokenizer, wm.world, edits, "memit", tmp_path_factory.mktemp("stats"))
    return edits, model


def test_handful_of_edits_hold_and_neighbours_keep(wm, run):
    """Over 5 seeds of five edits measured (benchmarks/seed_spread.py memit-five-edits): efficacy 1.0 every time,
    neighborhood 0.84 to 1.0, recall drop 0 to 0.0067."""
    edits, model = run
    m = edit_metrics(wm.model, model, wm.world, edits, recall_limit=1500)
    assert m["efficacy"] >= 0.8
    assert m["neighborhood"] >= 0.8
    assert m["recall_train_after"] >= m["recall_train_before"] - 0.03


def test_update_is_spread_over_the_configured_layers(wm, run):
    _, model = run
    layers = MemitParams().layers
    for layer in range(wm.model.config.n_layer):
        diff = (mlp_proj(model, layer).weight - mlp_proj(wm.model, layer).weight).norm()
        assert (diff > 0) == (layer in layers)


def test_duplicate_edits_are_refused(wm):
    e = random_edits(wm.world, 1, seed=3)[0]
    with pytest.raises(InterpctfError, match="same"):
        apply_edits(wm.model, wm.tokenizer, wm.world, [e, e], "memit", None)


def test_random_edits_are_deterministic_and_change_the_object(wm):
    a, b = random_edits(wm.world, 20, seed=4), random_edits(wm.world, 20, seed=4)
    assert a == b and a != random_edits(wm.world, 20, seed=5)
    assert all(e.new_object != wm.world.object_of(e.subject, e.relation) for e in a)
    assert len({(e.subject, e.relation) for e in a}) == 20
