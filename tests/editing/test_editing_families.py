"""The family table: every supported layout resolves its modules, reads and writes ROME's W in the right
orientation, records keys of the MLP's width; an unknown family is one line listing the known ones."""

import pytest
import torch

from interpctf.data.world import World
from interpctf.editing.families import (FAMILIES, UnknownFamily, add_to_proj_weight, family_of, n_layers,
                                        proj_param_name, proj_weight)
from interpctf.editing.hooks import record_keys, record_sites
from interpctf.nets.tiny_lm import FAMILIES as TINY, TinyLMConfig, bpe_tokenizer, build_config, fact_sentences


@pytest.fixture(scope="module")
def tokenizers():
    world = World.generate()
    texts = fact_sentences(world, TinyLMConfig())
    return {style: bpe_tokenizer(texts, style, 100) for style in ("bytelevel", "metaspace")}


def _random_model(family, tok):
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    cfg = TinyLMConfig(d_model=32, d_mlp=64, n_layer=2)
    return AutoModelForCausalLM.from_config(build_config(family, cfg, len(tok), tok.pad_token_id, tok.bos_token_id,
                                                         tok.eos_token_id)).eval()


@pytest.mark.parametrize("family", TINY)
def test_every_family_resolves_and_edits_the_named_weight(family, tokenizers):
    model = _random_model(family, tokenizers["bytelevel"])
    assert family_of(model).name == family and n_layers(model) == 2
    w = proj_weight(model, 1).clone()
    assert w.shape == (32, 64)  # [d_model, d_mlp] whatever the storage
    delta = torch.zeros_like(w)
    delta[3, 5] = 1.0
    before = {k: v.clone() for k, v in model.state_dict().items()}
    add_to_proj_weight(model, 1, delta)
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert changed == [proj_param_name(model, 1)]
    assert float(proj_weight(model, 1)[3, 5] - w[3, 5]) == pytest.approx(1.0)
    ids = tokenizers["bytelevel"](["Toufil lives in"], return_tensors="pt")["input_ids"]
    with record_keys(model, [0, 1]) as keys, record_sites(model, [("hidden", 1), ("attn", 0), ("mlp", 0)]) as sites:
        model(input_ids=ids)
    assert keys[1].shape == (1, ids.shape[1], 64)
    assert sites[("hidden", 1)].shape == sites[("mlp", 0)].shape == (1, ids.shape[1], 32)


def test_unknown_family_is_one_line_listing_the_known():
    class Config:
        model_type = "bloom"

    class Model:
        config = Config()

    with pytest.raises(UnknownFamily) as exc:
        family_of(Model())
    msg = str(exc.value)
    assert "\n" not in msg and "'bloom'" in msg and all(name in msg for name in FAMILIES)


@pytest.mark.parametrize("family", TINY)
def test_first_contextual_mlp_is_where_the_key_first_depends_on_context(family, tokenizers):
    """In parallel blocks (GPT-J, GPT-NeoX) layer 0's MLP reads each token alone: its key at the last token is
    the same whatever precedes it; at first_contextual_mlp the key depends on the subject."""
    from interpctf.editing.families import first_contextual_mlp

    model = _random_model(family, tokenizers["bytelevel"])
    ids = tokenizers["bytelevel"](["Toufil lives in", "Zeate lives in"], return_tensors="pt")["input_ids"]
    with record_keys(model, [0, 1]) as keys:
        model(input_ids=ids)
    first = first_contextual_mlp(model)
    assert first == (1 if family in ("gptj", "gpt_neox") else 0)
    if first == 1:
        assert torch.allclose(keys[0][0, -1], keys[0][1, -1], atol=1e-6)
    assert not torch.allclose(keys[first][0, -1], keys[first][1, -1], atol=1e-3)
