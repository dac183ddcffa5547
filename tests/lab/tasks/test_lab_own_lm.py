"""``sae-lm`` on your own model: a tiny random GPT-2 and Llama with a tiny word-level tokenizer, all built here (no
downloads), read at TransformerLens-style sites, trained on briefly and measured by splicing the SAE back in."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
import torch

from interpctf import lab
from interpctf.errors import InterpctfError
from interpctf.lab.tasks.lm_sites import resolve_site

WORDS = [f"w{i}" for i in range(40)]
TINY_SAE = {"architecture": "topk", "width": 64, "k": 4, "steps": 20, "batch_size": 64}
SMALL = {"eval_tokens": 256, "buffer_tokens": 512, "context": 16}


def _tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["<pad>", "<unk>", "<eos>", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", eos_token="<eos>")


def _model(family: str):
    torch.manual_seed(0)
    n = len(WORDS) + 3
    if family == "gpt2":
        from transformers import GPT2Config, GPT2LMHeadModel

        return GPT2LMHeadModel(GPT2Config(vocab_size=n, n_positions=32, n_embd=32, n_layer=2, n_head=2))
    from transformers import LlamaConfig, LlamaForCausalLM

    return LlamaForCausalLM(LlamaConfig(vocab_size=n, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32))


@pytest.fixture(scope="module", params=["gpt2", "llama"])
def own(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(request.param)
    model = _model(request.param)
    model.save_pretrained(root / "model")
    _tokenizer().save_pretrained(root / "model")
    rng = random.Random(0)
    (root / "corpus.txt").write_text("\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
                                               for _ in range(400)))
    return root, model


@pytest.mark.parametrize("hook", ["blocks.1.hook_resid_post", "blocks.0.hook_resid_pre", "blocks.1.hook_mlp_out",
                                  "blocks.0.hook_attn_out", "blocks.1.hook_mlp_in"])
def test_sites_read_and_replace(own, hook):
    model = own[1].eval()
    ids = torch.tensor([[3, 4, 5, 6]])
    site = resolve_site(model, hook)
    seen = []
    with torch.no_grad(), site.hook(lambda a: seen.append(a.clone())):
        clean = model(ids).logits
    assert seen and seen[0].shape == (1, 4, 32)
    with torch.no_grad(), site.hook(torch.zeros_like):
        ablated = model(ids).logits
    assert not torch.allclose(clean, ablated)
    if hook == "blocks.1.hook_resid_post" and model.config.model_type == "gpt2":
        # GPT-2's last hidden state has ln_f applied; block 0's output is hidden_states[1] exactly
        with torch.no_grad(), resolve_site(model, "blocks.0.hook_resid_post").hook(lambda a: seen.append(a)):
            states = model(ids, output_hidden_states=True).hidden_states
        assert torch.allclose(seen[-1], states[1])


def test_bad_site_names_get_one_line(own):
    for hook, match in (("blocks.9.hook_resid_post", "blocks"), ("blocks.0.hook_z", "not a site name")):
        with pytest.raises(InterpctfError, match=match):
            resolve_site(own[1], hook)


def test_a_run_on_your_own_model(own, lab_dir):
    root, model = own
    options = {"model": str(root / "model"), "hook": "blocks.1.hook_resid_post", "corpus": str(root / "corpus.txt"),
               **SMALL}
    result = lab.run("sae-lm", TINY_SAE, task_options=options)
    m = result.metrics
    assert all(math.isfinite(v) for v in m.values()) and "relation_purity" not in m
    assert m["ce_spliced"] > 0 and m["l0"] <= TINY_SAE["k"]
    cfg = json.loads((Path(result.artifacts_path) / "sae" / "cfg.json").read_text())
    assert cfg["metadata"]["model_name"] == options["model"]
    assert cfg["metadata"]["hook_name"] == "blocks.1.hook_resid_post"
    assert cfg["d_in"] == 32 and cfg["d_sae"] == 64
    sub = lab.submit(result.run_id)
    assert math.isfinite(sub.test_metrics["kl_score"])


def test_options_are_checked(own):
    root, _ = own
    with pytest.raises(InterpctfError, match="--corpus: required"):
        lab.run("sae-lm", TINY_SAE, task_options={"model": str(root / "model"), "hook": "blocks.0.hook_resid_post"})
    with pytest.raises(InterpctfError, match="--model"):
        lab.run("sae-toy", TINY_SAE, task_options={"model": "x"})
