"""Returned weights are read in bounded memory against the model the validated config builds: another shape,
an extra or missing tensor, another dtype or a NaN is refused with one line, before the model is built."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from interpctf.lab.editability.config import WorldModelConfig
from interpctf.lab.editability.train import build_gpt2
from interpctf.lab.editability.weights import BadWeights, n_params, read_weights, state_to_save

CFG = WorldModelConfig(n_layer=1, n_embd=16, n_head=2, d_mlp=32, steps=10, warmup=1)
VOCAB, POS, IDS = 40, 16, (0, 1, 2)


@pytest.fixture
def state():
    torch.manual_seed(0)
    return state_to_save(build_gpt2(CFG, VOCAB, POS, *IDS), CFG)


def test_weights_round_trip_into_the_configs_model(tmp_path, state):
    save_file(state, str(tmp_path / "m.safetensors"))
    model = read_weights(tmp_path / "m.safetensors", CFG, VOCAB, POS, IDS)
    assert torch.equal(model.transformer.wte.weight, state["transformer.wte.weight"])
    assert model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr()  # tied again
    assert sum(p.numel() for p in model.parameters()) == n_params(CFG, VOCAB, POS)


@pytest.mark.parametrize("change, match", [
    (lambda s: s.update({"transformer.h.0.mlp.c_fc.weight": torch.zeros(16, 64)}), r"c_fc.weight is F32 \[16, 64\]"),
    (lambda s: s.update({"extra": torch.zeros(2)}), "tensor 'extra' is not in the config's GPT-2"),
    (lambda s: s.pop("transformer.ln_f.bias"), "'transformer.ln_f.bias' is missing"),
    (lambda s: s.update({"transformer.ln_f.bias": torch.zeros(16, dtype=torch.float64)}), "F64"),
    (lambda s: s["transformer.wpe.weight"].__setitem__((0, 0), float("nan")), "NaN"),
])
def test_weights_that_do_not_fit_the_config_are_refused(tmp_path, state, change, match):
    change(state)
    save_file(state, str(tmp_path / "m.safetensors"))
    with pytest.raises(BadWeights, match=match) as err:
        read_weights(tmp_path / "m.safetensors", CFG, VOCAB, POS, IDS)
    assert "\n" not in str(err.value)


def test_a_file_that_is_not_safetensors_is_refused(tmp_path):
    (tmp_path / "m.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(BadWeights, match="declares a"):
        read_weights(tmp_path / "m.safetensors", CFG, VOCAB, POS, IDS)
