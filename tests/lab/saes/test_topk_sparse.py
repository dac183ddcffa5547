"""The TopK SAE's sparse training step computes the loss and gradients of the dense computation it replaces."""

import pytest
import torch

from interpctf.lab.config import parse_config
from interpctf.lab.saes import build_sae
from interpctf.lab.saes.base import sum_sq


def _dense_loss(sae, x, y, dead_mask):
    """The textbook TopK objective, everything dense: codes (batch, d_sae), then codes @ W_dec, with autograd
    through the full pre-activation matrix; the aux term over the top ``aux_k`` dead latents, as ``aux_loss`` says."""
    pre = sae.pre_acts(x)
    vals, idx = pre.topk(sae.config.k, dim=-1)
    codes = torch.zeros_like(pre).scatter(-1, idx, torch.relu(vals))
    y_hat = codes @ sae.W_dec + sae.b_dec
    mse = sum_sq(y_hat, y)
    dead_idx = dead_mask.nonzero().squeeze(1)
    k_aux = min(sae.config.aux_k or max(sae.d_out // 2, 1), dead_idx.numel())
    dead_pre = pre[:, dead_idx]
    a_vals, a_local = dead_pre.topk(k_aux, dim=-1)
    aux_codes = torch.zeros_like(dead_pre).scatter(-1, a_local, torch.relu(a_vals))
    residual = (y - y_hat).detach()
    aux = sum_sq(aux_codes @ sae.W_dec[dead_idx], residual) / residual.pow(2).sum(-1).mean()
    return mse + sae.config.aux_coefficient * aux


def _grads(sae, loss):
    sae.zero_grad(set_to_none=True)
    loss.backward()
    return {n: p.grad.clone() for n, p in sae.named_parameters()}


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("transcoder", [False, True])
def test_sparse_step_matches_dense_loss_and_gradients(seed, transcoder):
    torch.manual_seed(seed)
    d_in, d_out = 24, 16 if transcoder else 24
    cfg = parse_config({"architecture": "topk", "width": 96, "k": 5, "transcoder": transcoder,
                        "aux_coefficient": 0.5})
    sae = build_sae(cfg, d_in, d_out)
    sae.initialize(torch.Generator().manual_seed(seed))
    with torch.no_grad():  # a b_dec and b_enc away from zero, so their gradient paths are exercised
        sae.b_dec.normal_()
        sae.b_enc.normal_(0, 0.1)
    x, y = torch.randn(128, d_in), torch.randn(128, d_out)
    dead = torch.rand(96) < 0.4

    sparse = sae.train_step_loss(x, y, 0.0, dead)
    dense = _dense_loss(sae, x, y, dead)
    torch.testing.assert_close(sparse.total, dense, rtol=1e-5, atol=1e-6)
    assert float(sparse.parts["aux"].detach()) > 0  # the aux term really took part
    g_sparse, g_dense = _grads(sae, sparse.total), _grads(sae, _dense_loss(sae, x, y, dead))
    for name in ("W_enc", "b_enc", "W_dec", "b_dec"):
        torch.testing.assert_close(g_sparse[name], g_dense[name], rtol=1e-4, atol=1e-6, msg=name)
