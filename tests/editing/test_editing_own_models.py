"""ROME through ``interpctf.editing.edit`` on a tiny trained model of each family (GPT-2, GPT-NeoX, GPT-J, Llama,
Mistral, Qwen2), built from its transformers config in the test with a small BPE tokenizer trained here, so the
rewritten targets are several tokens (target probability = product over its tokens).

Measured during development (ROME at layer 0, key at the prompt's last token, 100 steps, the model of seed 0,
record seeds 0-4), after v* is optimized through the rank-one update's real footprint (see
interpctf.editing.optimize): with one context (n_prefixes=1) efficacy 5/5 on GPT-2 (neighbourhood 4.0/5,
paraphrase 0/5: a last-token key does not see the held-out wordings), 3/5 Llama (paraphrase 3.0, neighbourhood
4.75), 4/5 GPT-NeoX (1.33, 1.07), 4/5 GPT-J (1.33,
1.86), 5/5 Mistral (3.67, 2.75), 4/5 Qwen2 (2.0, 4.75); with 10 model-written prefixes 4, 2, 4 and 2 of 5 (GPT-2, Llama, NeoX, GPT-J). Before
this fix the gain in P(new) − P(true) on the edit prompt was positive on all 30 runs (5 seeds × 6 families);
after it P(new) − P(true) ended between -0.84 and 0.96. What is asserted: that gain, efficacy on
the GPT-2 tiny model (5/5 seen), only the family's MLP output projection changes, by a rank-one matrix, and the
input model is left as it was; the other figures are printed. GPT-2 and Llama (the two
tokenizer conventions: byte-level "Ġ" and SentencePiece "▁") run by default; the other families are slow.
"""

import functools

import pytest
import torch

from interpctf.data.world import World
from interpctf.editing import edit
from interpctf.editing.families import proj_param_name
from interpctf.editing.rome import RomeParams
from interpctf.editing.targets import TargetParams
from interpctf.nets.tiny_lm import TinyLMConfig, fact_sentences, train_tiny_lm, world_records

CFG = TinyLMConfig()
PARAMS = RomeParams(layer=0, target=TargetParams(position="last", steps=100, lr=0.5, n_prefixes=1))


@pytest.fixture(scope="module")
def world():
    return World.generate()


@functools.lru_cache(maxsize=None)
def _trained_cached(family):
    torch.set_num_threads(1)
    return train_tiny_lm(family, World.generate(), CFG)


def _trained(family, world):
    return _trained_cached(family)  # one trained model per family for the whole module


def _check_rome(family, world):
    model, tok = _trained(family, world)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    records = world_records(world, CFG, n=1, seed=0)
    result = edit(model, records, "rome", device="cpu", tokenizer=tok, stats_corpus=fact_sentences(world, CFG),
                  params=PARAMS)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), "edit() must not modify its input"
    gain = result.metrics["efficacy_magnitude"] - result.metrics_before["efficacy_magnitude"]
    print(f"{family}: efficacy {result.efficacy} paraphrase {result.paraphrase} neighborhood "
          f"{result.neighborhood} gain {gain:.2f}")
    assert gain > 0
    if family == "gpt2":
        assert result.efficacy == 1.0
    changed = [k for k, v in result.model.state_dict().items() if not torch.equal(before[k], v)]
    name = proj_param_name(model, 0)
    assert changed == [name] == result.changed
    diff = (result.model.state_dict()[name] - before[name]).double()
    assert torch.linalg.matrix_rank(diff, rtol=1e-6) == 1
    assert {"efficacy", "paraphrase", "neighborhood"} <= set(result.metrics)


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_rome_on_a_tiny_model(family, world):
    _check_rome(family, world)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["gpt_neox", "gptj", "mistral", "qwen2"])
def test_rome_on_a_tiny_model_slow(family, world):
    _check_rome(family, world)


def test_multi_token_targets_with_and_without_leading_space(world):
    from interpctf.editing.counterfact import target_ids
    from interpctf.nets.tiny_lm import bpe_tokenizer

    texts = fact_sentences(world, CFG)
    for style, mark in (("bytelevel", "Ġ"), ("metaspace", "▁")):
        tok = bpe_tokenizer(texts, style, CFG.merges)
        ids = target_ids(tok, "Toufil speaks", "Japanese")
        pieces = tok.convert_ids_to_tokens(ids)
        assert len(ids) > 1 and pieces[0].startswith(mark) and "".join(pieces).replace(mark, "") == "Japanese"


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_memit_edits_two_records_at_once(family, world):
    """MEMIT over layers 0 and 1 for two records at once (multi-token targets): only those layers' MLP output
    projections change; the scores are printed. Measured with λ = MEMIT_LAM = 10 (record seeds 3, 0, 1, 2, 4):
    efficacy 1, 1, 0.5, 0.5, 0 on GPT-2 and 0.5, 0.5, 0.5, 1, 0 on Llama; with the world model's λ = 1e3 it was 0
    on every GPT-2 seed. Not asserted: one seed of five gives 0 on each family."""
    from interpctf.editing.lm import MEMIT_LAM
    from interpctf.editing.memit import MemitParams

    model, tok = _trained(family, world)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    params = MemitParams(layers=[0, 1], lam=MEMIT_LAM, target=TargetParams(position="last", steps=60, lr=0.5))
    result = edit(model, world_records(world, CFG, n=2, seed=3), "memit", device="cpu", tokenizer=tok,
                  stats_corpus=fact_sentences(world, CFG), params=params)
    changed = sorted(k for k, v in result.model.state_dict().items() if not torch.equal(before[k], v))
    assert changed == sorted(proj_param_name(model, layer) for layer in (0, 1)) == sorted(result.changed)
    print(f"memit {family}:", result.metrics)
