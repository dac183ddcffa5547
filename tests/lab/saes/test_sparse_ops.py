"""The sparse TopK kernels give the dense products' values and gradients, including the chunked path (j > 8); their
scratch buffers stay one per name."""

import pytest
import torch

from interpctf.lab.saes.sparse_ops import gathered_pre, scratch_tensor, sparse_decode


def _chosen(batch, n, j, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(batch, n, generator=g).argsort(1)[:, :j]  # j distinct latents per sample


@pytest.mark.parametrize("j", [3, 8, 19])
def test_sparse_decode_matches_dense_codes_times_decoder(j):
    torch.manual_seed(j)
    idx = _chosen(6, 40, j, j)
    vals = torch.randn(6, j, dtype=torch.float64, requires_grad=True)
    w = torch.randn(40, 5, dtype=torch.float64, requires_grad=True)

    def dense(v, w):
        return torch.zeros(6, 40, dtype=torch.float64).scatter(1, idx, v) @ w

    g = torch.randn(6, 5, dtype=torch.float64)
    sparse_grads = torch.autograd.grad((sparse_decode(vals, idx, w) * g).sum(), (vals, w))
    dense_grads = torch.autograd.grad((dense(vals, w) * g).sum(), (vals, w))
    torch.testing.assert_close(sparse_decode(vals, idx, w), dense(vals, w))
    for s, d in zip(sparse_grads, dense_grads):
        torch.testing.assert_close(s, d)


@pytest.mark.parametrize("with_b_dec", [True, False])
@pytest.mark.parametrize("j", [4, 19])
def test_gathered_pre_matches_dense_encoder_gradients(j, with_b_dec):
    torch.manual_seed(j)
    x = torch.randn(6, 5, dtype=torch.float64)
    w = torch.randn(5, 40, dtype=torch.float64, requires_grad=True)
    b = torch.randn(40, dtype=torch.float64, requires_grad=True)
    b_dec = torch.randn(5, dtype=torch.float64, requires_grad=True)
    idx = _chosen(6, 40, j, j)
    params = (w, b, b_dec) if with_b_dec else (w, b)

    def dense():
        return ((x - b_dec if with_b_dec else x) @ w + b).gather(1, idx)

    with torch.no_grad():
        x_in = x - b_dec if with_b_dec else x
        pre = x_in @ w + b
    out = gathered_pre(x_in, w, b, b_dec if with_b_dec else None, pre, idx)
    torch.testing.assert_close(out, dense())
    g = torch.randn(6, j, dtype=torch.float64)
    for s, d in zip(torch.autograd.grad((out * g).sum(), params), torch.autograd.grad((dense() * g).sum(), params)):
        torch.testing.assert_close(s, d)


def test_scratch_tensor_keeps_one_buffer_per_name_whatever_the_shapes():
    like = torch.zeros(1)
    big = scratch_tensor("test-scratch", (4, 6), like)
    small = scratch_tensor("test-scratch", (3, 2), like)
    assert small.shape == (3, 2) and small.data_ptr() == big.data_ptr()  # reused, not a second allocation
    grown = scratch_tensor("test-scratch", (5, 6), like)
    assert grown.shape == (5, 6) and scratch_tensor("test-scratch", (4, 6), like).data_ptr() == grown.data_ptr()
    assert scratch_tensor("test-scratch", (2,), torch.zeros(1, dtype=torch.float64)).dtype == torch.float64
