"""Independent edits' target vectors optimized in one batch are the vectors each edit's own optimization finds:
same v* (ROME's MLP output) and z* (MEMIT's residual stream) within float rounding, including edits that stop
early at different steps, so the ROME update written from them is the same too; and metrics without the
generation entropies (which the editability score does not use) keep the CounterFact scores."""

from __future__ import annotations

import pytest
import torch

from interpctf.data.world import World, WorldConfig
from interpctf.data.world_tokenizer import build_tokenizer
from interpctf.editing import random_edits
from interpctf.editing.hooks import mlp_proj
from interpctf.editing.rome import RomeParams, rome_edit_inplace
from interpctf.editing.targets import TargetParams, optimize_target, optimize_targets
from interpctf.lab.editability.config import WorldModelConfig
from interpctf.lab.editability.train import build_gpt2


@pytest.fixture(scope="module")
def setup():
    world = World.generate(WorldConfig(n_subjects=12))
    tokenizer = build_tokenizer(world)
    cfg = WorldModelConfig(n_layer=2, n_embd=32, n_head=2, d_mlp=64, steps=10, warmup=1)
    torch.manual_seed(0)
    model = build_gpt2(cfg, len(tokenizer), 64, tokenizer.pad_token_id, tokenizer.bos_token_id,
                       tokenizer.eos_token_id).eval()
    # At init the logits are nearly flat whatever δ is; scaled up, a few steps make the new object likely, so
    # edits stop early, at different steps (measured: site "hidden" with stop_nll 0.3 stops after 2 or 3 steps)
    with torch.no_grad():
        model.transformer.wte.weight.mul_(25)
        model.transformer.h[1].mlp.c_proj.weight.mul_(10)
    return world, tokenizer, model, random_edits(world, 4, seed=3)


@pytest.mark.parametrize("site, stop_nll", [("mlp", 0.0), ("hidden", 0.3)])  # every step; stops early
def test_batched_targets_equal_one_at_a_time(setup, site, stop_nll):
    world, tokenizer, model, edits = setup
    params = TargetParams(steps=10, stop_nll=stop_nll)
    alone = torch.stack([optimize_target(model, tokenizer, world, e, site, 1, params) for e in edits])
    batched = optimize_targets(model, tokenizer, world, edits, site, 1, params)
    torch.testing.assert_close(batched, alone, atol=2e-4, rtol=2e-4)
    assert not torch.equal(alone[0], alone[1])  # each edit got its own vector


def test_a_rome_update_from_a_batched_target_is_the_one_found_alone(setup):
    world, tokenizer, model, edits = setup
    params = RomeParams(layer=1, target=TargetParams(steps=10))
    torch.manual_seed(1)
    cov = (lambda a: a @ a.T / 64 + torch.eye(64))(torch.randn(64, 64))
    v = optimize_targets(model, tokenizer, world, edits[:2], "mlp", 1, params.target)
    before = mlp_proj(model, 1).weight.detach().clone()
    for i, e in enumerate(edits[:2]):
        alone, batched = (_edited_weight(model, before, tokenizer, world, e, cov, params, t) for t in (None, v[i]))
        torch.testing.assert_close(batched, alone, atol=1e-4, rtol=1e-4)
        assert not torch.allclose(alone, before)


def _edited_weight(model, before, tokenizer, world, edit, cov, params, target):
    rome_edit_inplace(model, tokenizer, world, edit, cov, params, target)
    after = mlp_proj(model, 1).weight.detach().clone()
    with torch.no_grad():
        mlp_proj(model, 1).weight.copy_(before)
    return after


def test_edit_metrics_without_entropy_keep_the_counterfact_scores(setup):
    from interpctf.editing import edit_metrics

    world, tokenizer, model, edits = setup
    full = edit_metrics(model, model, world, edits[:1], tokenizer, with_recall=False)
    lean = edit_metrics(model, model, world, edits[:1], tokenizer, with_recall=False, with_entropy=False)
    assert "entropy_after" in full and "entropy_after" not in lean
    assert {k: full[k] for k in lean} == lean
