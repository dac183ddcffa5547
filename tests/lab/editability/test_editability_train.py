"""The world model's training loop: the config's activation is built as the same function it names."""

from __future__ import annotations

import torch
from transformers.activations import ACT2FN

from interpctf.lab.editability.config import WorldModelConfig
from interpctf.lab.editability.train import FUSED_ACTIVATIONS, build_gpt2


def test_fused_activations_are_the_functions_they_replace():
    x = torch.linspace(-8.0, 8.0, 4001)
    for name, fused in FUSED_ACTIVATIONS.items():
        torch.testing.assert_close(ACT2FN[fused](x), ACT2FN[name](x), atol=1e-6, rtol=1e-5)


def test_a_gelu_new_config_builds_a_model_with_the_same_outputs_as_gelu_new():
    cfg = WorldModelConfig(n_layer=2, n_embd=16, n_head=2, d_mlp=32, steps=10, warmup=1)
    torch.manual_seed(0)
    model = build_gpt2(cfg, 40, 16, 0, 1, 2).eval()
    ids = torch.randint(3, 40, (3, 12))
    fused = model(input_ids=ids).logits
    for block in model.transformer.h:
        block.mlp.act = ACT2FN["gelu_new"]
    torch.testing.assert_close(fused, model(input_ids=ids).logits, atol=1e-5, rtol=1e-5)
