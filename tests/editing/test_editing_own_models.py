"""ROME and MEMIT through ``interpctf.editing.edit`` on a tiny trained model of each family (GPT-2, GPT-NeoX, GPT-J,
Llama, Mistral, Qwen2), built from its transformers config in the test with a small BPE tokenizer trained here, so the
rewritten targets are several tokens (target probability = product over its tokens).

What is asserted is what the editors guarantee: each edit is verified by the editor itself (the edited model must
prefer the new target on the record's prompt, else the target is optimized again under a looser budget, see
interpctf.editing.verify), so efficacy is 1 on every family; only the family's MLP output projections change (ROME:
by a rank-one matrix); the input model is left as it was. Paraphrase and neighbourhood are printed, not asserted
(they are not guaranteed); benchmarks/bench_editing_families.py gives them per family over record seeds.
"""

import functools

import pytest
import torch

from interpctf.data.world import World
from interpctf.editing import edit
from interpctf.editing.families import proj_param_name
from interpctf.editing.tiny_settings import tiny_memit, tiny_rome
from interpctf.nets.tiny_lm import FAMILIES, TinyLMConfig, fact_sentences, train_tiny_lm, world_records

CFG = TinyLMConfig()


@pytest.fixture(scope="module")
def world():
    return World.generate()


@functools.lru_cache(maxsize=None)
def _trained_cached(family):
    torch.set_num_threads(1)
    return train_tiny_lm(family, World.generate(), CFG)


def _trained(family, world):
    return _trained_cached(family)  # one trained model per family for the whole module


@pytest.mark.parametrize("family", FAMILIES)
def test_rome_on_a_tiny_model(family, world):
    model, tok = _trained(family, world)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    records = world_records(world, CFG, n=1, seed=0)
    result = edit(model, records, "rome", device="cpu", tokenizer=tok, stats_corpus=fact_sentences(world, CFG),
                  params=tiny_rome(model))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), "edit() must not modify its input"
    print(f"{family}: efficacy {result.efficacy} paraphrase {result.paraphrase} neighborhood "
          f"{result.neighborhood} rounds {result.records[0]['rounds']}")
    assert result.verified and result.efficacy == 1.0
    changed = [k for k, v in result.model.state_dict().items() if not torch.equal(before[k], v)]
    name = proj_param_name(model, tiny_rome(model).layer)
    assert changed == [name] == result.changed
    diff = (result.model.state_dict()[name] - before[name]).double()
    assert torch.linalg.matrix_rank(diff, rtol=1e-6) == 1
    assert {"efficacy", "paraphrase", "neighborhood"} <= set(result.metrics)


def test_an_edit_without_budget_is_reported_unverified(world):
    """No optimization steps and one round: v* is the current value, the update is zero, the fact the model was
    taught stays; the result says the edit did not take instead of passing it off."""
    model, tok = _trained("gpt2", world)
    params = tiny_rome(model)
    params = params.model_copy(update={"target": params.target.model_copy(update={"steps": 0, "verify_rounds": 1})})
    result = edit(model, world_records(world, CFG, n=1, seed=0), "rome", device="cpu", tokenizer=tok,
                  stats_corpus=fact_sentences(world, CFG), params=params)
    assert result.metrics_before["efficacy"] == 0.0
    assert not result.verified and result.records[0]["rounds"] == 1 and result.efficacy == 0.0


def test_multi_token_targets_with_and_without_leading_space(world):
    from interpctf.editing.counterfact import target_ids
    from interpctf.nets.tiny_lm import bpe_tokenizer

    texts = fact_sentences(world, CFG)
    for style, mark in (("bytelevel", "Ġ"), ("metaspace", "▁")):
        tok = bpe_tokenizer(texts, style, CFG.merges)
        ids = target_ids(tok, "Toufil speaks", "Japanese")
        pieces = tok.convert_ids_to_tokens(ids)
        assert len(ids) > 1 and pieces[0].startswith(mark) and "".join(pieces).replace(mark, "") == "Japanese"


def _check_memit(family, world):
    model, tok = _trained(family, world)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = edit(model, world_records(world, CFG, n=2, seed=3), "memit", device="cpu", tokenizer=tok,
                  stats_corpus=fact_sentences(world, CFG), params=tiny_memit(model))
    changed = sorted(k for k, v in result.model.state_dict().items() if not torch.equal(before[k], v))
    assert changed == sorted(proj_param_name(model, layer) for layer in tiny_memit(model).layers) == sorted(
        result.changed)
    print(f"memit {family}:", result.metrics, result.records)
    return result


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_memit_edits_two_records_at_once(family, world):
    """MEMIT over the tiny model's layers for two records at once (multi-token targets), verified by the editor: both
    records' new targets win."""
    result = _check_memit(family, world)
    assert result.verified and result.efficacy == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("family", ["gpt_neox", "gptj", "mistral", "qwen2"])
def test_memit_on_the_other_families(family, world):
    result = _check_memit(family, world)
    assert result.verified and result.efficacy == 1.0


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_tracing_a_record_with_a_multi_token_target(family, world):
    """Causal tracing of a record on a tiny model with a multi-token target (the record's new object): P(target)
    is the product over the target's tokens (the same number the CounterFact scorer gives), and restoring a
    position before the subject (never corrupted) has no effect at any site or layer."""
    import math

    from interpctf.editing.counterfact import parse_records, target_ids
    from interpctf.editing.score import target_logprobs
    from interpctf.editing.tracing import trace_record

    model, tok = _trained(family, world)
    recs = parse_records(world_records(world, CFG, n=8, seed=0))
    rec = next(r for r in recs if len(target_ids(tok, r.prompt, r.requested_rewrite.target_new.text)) > 1)
    new = rec.requested_rewrite.target_new.text
    result = trace_record(model, tok, rec, target=new, samples=4)
    assert result.p_clean == pytest.approx(math.exp(target_logprobs(model, tok, [rec.prompt], new)[0]), rel=1e-4)
    start, end = result.subject_range
    assert 0 < start < end <= len(result.tokens)
    for effects in result.effects.values():
        assert effects.shape == (len(result.tokens), CFG.n_layer)
        assert abs(effects[:start]).max() < 1e-6
