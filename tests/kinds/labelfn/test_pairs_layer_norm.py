"""``layer_norm: false``: GPT-2's LayerNorms become exact mean-centerings, so the model normalizes nothing and is
a model without LayerNorm once the centering is folded into the weights that read the residual stream."""

import numpy as np
import pytest
import torch

from interpctf.errors import BadRecipe
from interpctf.kinds.labelfn.domains import DOMAINS
from interpctf.nets import pair_transformer
from interpctf.nets.pair_transformer import PairTransformerConfig
from interpctf.recipe import parse_recipe

CFG = PairTransformerConfig(p=23, d_model=32, n_heads=4, d_mlp=64, steps=30, batch_size=64, layer_norm=False)


def _no_layer_norm_forward(model, tokens: torch.Tensor) -> torch.Tensor:
    """GPT-2's forward written out with no LayerNorm, the centering folded into the reading weights."""
    t, block = model.transformer, model.transformer.h[0]
    d = t.wte.weight.shape[1]
    center = torch.eye(d) - torch.full((d, d), 1.0 / d)
    n, heads = tokens.shape[1], block.attn.num_heads
    h = t.wte.weight[tokens] + t.wpe.weight[:n]
    qkv = h @ (center @ block.attn.c_attn.weight) + block.attn.c_attn.bias  # Conv1D: x @ W + b
    q, k, v = (x.reshape(len(tokens), n, heads, d // heads).transpose(1, 2) for x in qkv.split(d, -1))
    scores = q @ k.transpose(-1, -2) / (d // heads) ** 0.5
    scores = scores.masked_fill(torch.triu(torch.ones(n, n, dtype=torch.bool), 1), float("-inf"))
    attn = (scores.softmax(-1) @ v).transpose(1, 2).reshape(len(tokens), n, d)
    h = h + attn @ block.attn.c_proj.weight + block.attn.c_proj.bias
    mlp = torch.relu(h @ (center @ block.mlp.c_fc.weight) + block.mlp.c_fc.bias)
    h = h + mlp @ block.mlp.c_proj.weight + block.mlp.c_proj.bias
    return h @ (model.lm_head.weight @ center).T


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, 23, size=(300, 2))
    return pair_transformer.train(CFG, pairs, (pairs[:, 0] < pairs[:, 1]).astype(np.int64), seed=0)


def test_each_layer_norm_is_an_exact_centering_and_stays_fixed_in_training(trained):
    x = torch.randn(50, 32) * 7
    for norm in pair_transformer.layer_norms(trained):
        assert torch.allclose(norm(x), x - x.mean(-1, keepdim=True), atol=1e-4)
        assert not norm.weight.requires_grad
        assert torch.all(norm.weight == 1e6) and torch.all(norm.bias == 0)


def test_saved_model_is_a_model_without_layer_norm(trained, tmp_path):
    pair_transformer.save(trained, tmp_path)
    loaded = pair_transformer.load(tmp_path)  # plain transformers GPT2LMHeadModel.from_pretrained
    tokens = pair_transformer.sequences(np.array([[x, y] for x in range(23) for y in range(0, 23, 3)]), 23)
    with torch.no_grad():
        hf = loaded(input_ids=tokens).logits
        manual = _no_layer_norm_forward(loaded, tokens)
    assert torch.allclose(hf, manual, atol=1e-4, rtol=1e-4)
    assert loaded.config.interpctf_layer_norm is False


def test_training_options_that_do_not_apply_are_refused():
    recipe = parse_recipe({"kind": "labelfn", "title": "t", "domain": "digits", "training": {"layer_norm": False},
                           "secret": "def label(image):\n    return 0\n"})
    with pytest.raises(BadRecipe, match="'layer_norm' does not apply to domain digits"):
        DOMAINS["digits"]._config(recipe)


@pytest.mark.parametrize("extra, message", [
    ({"domain": "pairs", "data_dir": "/data"}, "'data_dir' applies to domain mnist only"),
    ({"domain": "mnist", "train_fraction": 0.8}, "remove train_fraction"),
])
def test_mnist_fields_belong_to_mnist(extra, message):
    with pytest.raises(BadRecipe, match=message):
        parse_recipe({"kind": "labelfn", "title": "t", "secret": "def label(image):\n    return 0\n", **extra})
