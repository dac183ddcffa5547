"""ROME on the reference world model: the edited fact changes, its neighbours and the subject's other facts do
not, the original model is untouched, and the key statistics are cached."""

import pytest
import torch

from interpctf.editing import Edit, apply_edits, edit_metrics, random_edits
from interpctf.editing.hooks import mlp_proj
from interpctf.editing.rome import RomeParams
from interpctf.editing.targets import rewrite_prompt
from interpctf.nets.tiny_gpt_eval import last_token_logits
from interpctf.nets.tiny_gpt_reference import reference_world_model


@pytest.fixture(scope="module")
def wm():
    return reference_world_model()


@pytest.fixture(scope="module")
def stats_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("stats")


def _argmax(model, tok, prompts):
    return tok.convert_ids_to_tokens(last_token_logits(model, tok, prompts).argmax(-1).tolist())


@pytest.fixture(scope="module")
def edited(wm, stats_cache):
    edit = random_edits(wm.world, 1, seed=7)[0]
    before = {k: v.clone() for k, v in wm.model.state_dict().items()}
    model = apply_edits(wm.model, wm.tokenizer, wm.world, [edit], "rome", stats_cache)
    after = wm.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before), "apply_edits must not modify its input"
    return edit, model


def test_edit_changes_the_target_fact_and_paraphrases(wm, edited):
    """The rewrite prompt's top token was the new object on all 5 seeds measured (benchmarks/seed_spread.py
    rome-one-edit), and no paraphrase was missed on any (the test allows one)."""
    edit, model = edited
    assert _argmax(model, wm.tokenizer, [rewrite_prompt(wm.world, edit)]) == [edit.new_object]
    para = wm.world.prompts(edit.subject, edit.relation, "paraphrase")
    assert sum(o == edit.new_object for o in _argmax(model, wm.tokenizer, para)) >= len(para) - 1


def test_edit_leaves_neighbours_and_other_facts(wm, edited):
    """Share of neighbours (same relation and old object) that keep their object: 0.895 to 1.0 over 5 seeds
    measured (benchmarks/seed_spread.py rome-one-edit), so the bar is 0.85 (0.9 was missed on one seed)."""
    edit, model = edited
    old = wm.world.object_of(edit.subject, edit.relation)
    neighbours = wm.world.neighbors(edit.subject, edit.relation)
    prompts = [wm.world.prompt(s, edit.relation, 0) for s in neighbours]
    kept = sum(o == old for o in _argmax(model, wm.tokenizer, prompts))
    assert kept >= 0.85 * len(prompts)
    others = [r.id for r in wm.world.relations if r.id != edit.relation]
    own = _argmax(model, wm.tokenizer, [wm.world.prompt(edit.subject, r, 0) for r in others])
    assert sum(o == wm.world.object_of(edit.subject, r) for o, r in zip(own, others)) >= len(others) - 1


def test_only_one_layer_changes_by_a_rank_one_matrix(wm, edited):
    _, model = edited
    layer = RomeParams().layer
    diff = (mlp_proj(model, layer).weight - mlp_proj(wm.model, layer).weight).detach().double()
    assert torch.linalg.matrix_rank(diff, rtol=1e-6) == 1
    changed = [n for (n, a), b in zip(model.state_dict().items(), wm.model.state_dict().values()) if not torch.equal(a, b)]
    assert changed == [f"transformer.h.{layer}.mlp.c_proj.weight"]


def test_metrics_of_one_edit(wm, edited):
    """Over 5 seeds measured (benchmarks/seed_spread.py rome-one-edit): efficacy 1.0 every time, its magnitude
    0.977 to 0.998, neighborhood 0.9 to 1.0 (so the bar is 0.8: one flipped neighbour prompt of 10 is common),
    recall drop 0 to 0.0013, entropy change 0 to 0.023."""
    edit, model = edited
    m = edit_metrics(wm.model, model, wm.world, [edit], recall_limit=1500)
    assert m["efficacy"] == 1.0 and m["efficacy_magnitude"] > 0.5
    assert m["neighborhood"] >= 0.8
    assert m["recall_train_after"] >= m["recall_train_before"] - 0.02  # no collateral damage to other facts
    assert abs(m["entropy_after"] - m["entropy_before"]) < 0.5


def test_statistics_are_cached_on_disk(wm, edited, stats_cache):
    files = list(stats_cache.glob("keystats-*.pt"))
    assert len(files) == 1
    edit = random_edits(wm.world, 2, seed=8)[1]
    stamp = files[0].stat().st_mtime_ns
    apply_edits(wm.model, wm.tokenizer, wm.world, [edit], "rome", stats_cache)
    assert files[0].stat().st_mtime_ns == stamp and len(list(stats_cache.glob("keystats-*.pt"))) == 1


def test_sequential_rome_edits_both_hold(wm, stats_cache):
    edits = random_edits(wm.world, 3, seed=11)[:2]
    model = apply_edits(wm.model, wm.tokenizer, wm.world, edits, "rome", stats_cache)
    assert _argmax(model, wm.tokenizer, [rewrite_prompt(wm.world, e) for e in edits]) == [e.new_object for e in edits]


@pytest.mark.parametrize("edit, message", [
    (Edit(subject="Nobody", relation="city", new_object="Paris"), "unknown subject"),
    (Edit(subject="SUBJ", relation="colour", new_object="Paris"), "unknown relation"),
    (Edit(subject="SUBJ", relation="city", new_object="tennis"), "not an object"),
])
def test_bad_edits_are_user_errors(wm, edit, message):
    from interpctf.errors import InterpctfError

    edit = edit.model_copy(update={"subject": wm.world.subjects[0]}) if edit.subject == "SUBJ" else edit
    with pytest.raises(InterpctfError, match=message):
        apply_edits(wm.model, wm.tokenizer, wm.world, [edit], "rome", None)


def test_unknown_method_and_empty_edits(wm):
    from interpctf.errors import InterpctfError

    edit = random_edits(wm.world, 1, seed=1)[0]
    with pytest.raises(InterpctfError, match="unknown editing method"):
        apply_edits(wm.model, wm.tokenizer, wm.world, [edit], "lora", None)
    with pytest.raises(InterpctfError, match="no edits"):
        apply_edits(wm.model, wm.tokenizer, wm.world, [], "rome", None)
