"""A labelfn recipe's ``model:``: family and sizes, checked with one-line errors; absent, today's models."""

import numpy as np
import pytest
import torch

from interpctf.errors import BadRecipe
from interpctf.recipe import parse_recipe

RULE = "def label(x, y):\n    return int(x < y)\n"
IMAGE_RULE = "def label(image):\n    return int(image.sum() > 300)\n"


def recipe(domain="pairs", **fields):
    secret = RULE if domain == "pairs" else IMAGE_RULE
    return parse_recipe({"kind": "labelfn", "title": "t", "seed": 1, "domain": domain, "secret": secret, **fields},
                        "test")


@pytest.mark.parametrize("domain, model, message", [
    ("pairs", {"family": "mlp"}, "model.family: mlp does not apply to domain pairs"),
    ("digits", {"family": "transformer"}, "model.family: transformer does not apply to domain digits"),
    ("pairs", {"channels": 8}, "model.channels applies to family cnn, not transformer"),
    ("digits", {"family": "mlp", "hidden": 3}, "model.hidden applies to family cnn, not mlp"),
    ("pairs", {"d_model": 100, "heads": 8}, "model.d_model: 100 is not a multiple of heads"),
    ("pairs", {"layers": 0}, "layers"),
    ("digits", {"family": "mlp", "hidden_sizes": [1]}, "model.hidden_sizes"),
    ("pairs", {"sizes": 3}, "sizes"),
])
def test_bad_model_fields_are_one_line(domain, model, message):
    with pytest.raises(BadRecipe, match=message) as err:
        recipe(domain, model=model)
    assert "\n" not in str(err.value)


def test_defaults_are_today_s_configs():
    from interpctf.kinds.labelfn.domains import DOMAINS
    from interpctf.nets.digits_cnn import DigitsCNNConfig
    from interpctf.nets.pair_transformer import PairTransformerConfig

    assert DOMAINS["pairs"]._config(recipe()) == PairTransformerConfig()
    assert DOMAINS["digits"]._config(recipe("digits")) == DigitsCNNConfig()


def test_sizes_reach_the_configs():
    from interpctf.kinds.labelfn.domains import DOMAINS

    cfg = DOMAINS["pairs"]._config(recipe(model={"layers": 2, "d_model": 32, "heads": 4, "d_mlp": 64,
                                                 "layer_norm": False}, p=7))
    assert (cfg.n_layers, cfg.d_model, cfg.n_heads, cfg.d_mlp, cfg.layer_norm, cfg.p) == (2, 32, 4, 64, False, 7)
    assert DOMAINS["digits"]._config(recipe("digits", model={"channels": 4, "hidden": 32})).channels == 4
    mlp = DOMAINS["mnist"]._config(recipe("mnist", model={"family": "mlp", "hidden_sizes": [64, 32]}))
    assert (mlp.hidden_sizes, mlp.side, mlp.scale) == ((64, 32), 28, 255.0)


def test_a_deeper_transformer_s_fast_logits_are_its_logits():
    from interpctf.nets.pair_transformer import PairTransformerConfig, build, last_position_logits, layer_norms

    model = build(PairTransformerConfig(p=7, d_model=16, n_heads=2, d_mlp=32, n_layers=3), seed=0).eval()
    tokens = torch.tensor([[1, 2, 7], [3, 4, 7]])
    with torch.no_grad():
        assert torch.allclose(last_position_logits(model, tokens), model(input_ids=tokens).logits[:, -1], atol=1e-5)
    assert len(layer_norms(model)) == 7


def test_the_mlp_trains_saves_and_loads_through_its_domain(tmp_path):
    from interpctf.data.digits import digit_images
    from interpctf.kinds.labelfn.domains import DOMAINS

    r = recipe("digits", model={"family": "mlp", "hidden_sizes": [32]}, training={"steps": 5})
    domain = DOMAINS["digits"]
    images = digit_images()[:64]
    cfg = domain._config(r)
    model = domain._net(r).train(cfg, images, (images.sum(axis=(1, 2)) > 300).astype(np.int64), seed=0)
    (tmp_path / "m").mkdir()
    domain.save(model, tmp_path / "m")
    again = domain.load(tmp_path / "m")
    assert type(again).__name__ == "ImageMLP"
    assert (domain.predict(model, images) == domain.predict(again, images)).all()
