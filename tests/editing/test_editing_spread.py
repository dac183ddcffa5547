"""MEMIT's residuals are optimized through hooks that stand for the weight updates they will write; that is only
worth something if the hooked model computes exactly what the edited model computes. Checked here on a random
tiny GPT-2 and Llama (the two weight orientations), with random keys, statistics and residuals."""

import pytest
import torch

from interpctf.editing.hooks import add_to_mlp_weight, mlp_weight
from interpctf.editing.spread import spread_projections, spread_update, spread_updates
from interpctf.editing.targets import TargetParams
from interpctf.editing.verify import round_params
from interpctf.nets.tiny_lm import TinyLMConfig, build_config


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_hooked_model_computes_what_the_edited_model_computes(family):
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    cfg = TinyLMConfig()
    model = AutoModelForCausalLM.from_config(build_config(family, cfg, 50, 0, 1, 2)).eval()
    d_model, d_mlp = mlp_weight(model, 0).shape
    layers, n_records = [0, 1], 3
    keys = {layer: torch.randn(d_mlp, n_records, dtype=torch.float64) for layer in layers}
    covs = {}
    for layer in layers:
        a = torch.randn(d_mlp, 4 * d_mlp, dtype=torch.float64)
        covs[layer] = a @ a.T / a.shape[1]
    projections = spread_projections(keys, covs, lam=10.0)
    residual = torch.randn(d_model, n_records, dtype=torch.float64)
    ids = torch.randint(3, 50, (2, 9))
    with torch.no_grad():
        plain = model(input_ids=ids).logits
        with spread_updates(model, projections, residual):
            hooked = model(input_ids=ids).logits
    for layer in layers:
        add_to_mlp_weight(model, layer, spread_update(residual, projections[layer], len(layers)))
    with torch.no_grad():
        edited = model(input_ids=ids).logits
    assert torch.allclose(hooked, edited, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(hooked, plain, atol=1e-2)  # the updates do change the output


def test_memit_projection_is_eq_14():
    """ΔW = R Kᵀ(λC₀ + KKᵀ)⁻¹ for one layer, against the formula written out with an explicit inverse."""
    torch.manual_seed(1)
    k = torch.randn(6, 2, dtype=torch.float64)
    a = torch.randn(6, 12, dtype=torch.float64)
    c0 = a @ a.T / 12
    r = torch.randn(4, 2, dtype=torch.float64)
    p = spread_projections({0: k}, {0: c0}, lam=3.0)[0]
    expected = r @ k.T @ torch.linalg.inv(3.0 * c0 + k @ k.T)
    assert torch.allclose(spread_update(r, p, 1), expected, atol=1e-10)


def test_verification_rounds_loosen_the_budget():
    base = TargetParams(steps=30, clamp=4.0, norm_weight=0.5, kl_weight=0.0625)
    assert round_params(base, 0) == base
    one, two = round_params(base, 1), round_params(base, 2)
    assert one.norm_weight == two.norm_weight == 0.0
    assert base.clamp < one.clamp < two.clamp and base.steps < one.steps < two.steps
    assert base.kl_weight > one.kl_weight > two.kl_weight
