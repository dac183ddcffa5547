"""Tiny causal LMs of every family the editors support, built from their transformers configs and taught a few
facts of the synthetic world: stand-ins for GPT-2, Pythia, GPT-J and Llama/Mistral/Qwen2 checkpoints, so that
the editing code is exercised on each real module layout offline, with no download.

The tokenizer is a small BPE trained here with ``tokenizers``: byte-level with GPT-2's leading-space convention
("Ġ"), or SentencePiece-style ("▁", Llama's), with a vocabulary small enough that most objects are several
tokens, so the multi-token path of the editors is what runs.
"""

from __future__ import annotations

import math
import random
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict

from interpctf.data.world import World

Family = Literal["gpt2", "gpt_neox", "gptj", "llama", "mistral", "qwen2"]
FAMILIES: tuple[Family, ...] = ("gpt2", "gpt_neox", "gptj", "llama", "mistral", "qwen2")
BOS, EOS, PAD = "<s>", "</s>", "<pad>"


class TinyLMConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    n_layer: int = 2
    d_model: int = 64
    n_head: int = 4
    d_mlp: int = 256
    n_positions: int = 96
    merges: int = 200           # BPE merges learned: few enough that most objects are 2 to 4 tokens
    n_subjects: int = 24
    relations: tuple[str, ...] = ("city", "language")
    steps: int = 300
    batch_size: int = 32
    pack: int = 1               # fact sentences per training sequence (running text: later positions trained too)
    lr: float = 3e-3
    seed: int = 0


def bpe_tokenizer(texts: list[str], style: Literal["bytelevel", "metaspace"], merges: int):
    """A BPE trained on ``texts``, wrapped for transformers, with a BOS prepended to every encoding."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    if style == "bytelevel":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    else:
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
        tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first")
        alphabet = []
    n_chars = len(alphabet) or len({c for t in texts for c in t.replace(" ", "▁")})
    trainer = trainers.BpeTrainer(vocab_size=n_chars + 3 + merges, special_tokens=[PAD, BOS, EOS], initial_alphabet=alphabet,
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer)
    tok.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A $B",
                                                       special_tokens=[(BOS, tok.token_to_id(BOS))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=PAD,
                                   padding_side="right", model_max_length=96)


def build_config(family: Family, cfg: TinyLMConfig, vocab_size: int, pad: int, bos: int, eos: int):
    from transformers import GPT2Config, GPTJConfig, GPTNeoXConfig, LlamaConfig, MistralConfig, Qwen2Config

    common = dict(vocab_size=vocab_size, bos_token_id=bos, eos_token_id=eos, pad_token_id=pad)
    if family == "gpt2":
        return GPT2Config(n_positions=cfg.n_positions, n_embd=cfg.d_model, n_layer=cfg.n_layer, n_head=cfg.n_head,
                          n_inner=cfg.d_mlp, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, **common)
    if family == "gptj":
        return GPTJConfig(n_positions=cfg.n_positions, n_embd=cfg.d_model, n_layer=cfg.n_layer, n_head=cfg.n_head,
                          n_inner=cfg.d_mlp, rotary_dim=cfg.d_model // cfg.n_head // 2, resid_pdrop=0.0,
                          embd_pdrop=0.0, attn_pdrop=0.0, **common)
    if family == "gpt_neox":
        return GPTNeoXConfig(hidden_size=cfg.d_model, num_hidden_layers=cfg.n_layer,
                             num_attention_heads=cfg.n_head, intermediate_size=cfg.d_mlp,
                             max_position_embeddings=cfg.n_positions, hidden_dropout=0.0, attention_dropout=0.0,
                             **common)
    llama_like = dict(hidden_size=cfg.d_model, num_hidden_layers=cfg.n_layer, num_attention_heads=cfg.n_head,
                      num_key_value_heads=cfg.n_head // 2, intermediate_size=cfg.d_mlp,
                      max_position_embeddings=cfg.n_positions, **common)
    kinds = {"llama": LlamaConfig, "mistral": MistralConfig, "qwen2": Qwen2Config}
    return kinds[family](**llama_like)


def fact_sentences(world: World, cfg: TinyLMConfig) -> list[str]:
    """Every fact of the chosen relations in each of its training templates."""
    subjects = set(world.subjects[:cfg.n_subjects])
    return [world.sentence(f, t) for f in world.facts if f.subject in subjects and f.relation in cfg.relations
            for t in world.templates(f.relation, "train")]


def train_tiny_lm(family: Family, world: World, cfg: TinyLMConfig | None = None):
    """(model, tokenizer): a tiny ``family`` model trained on the world's facts (teacher forcing on whole fact
    sentences, AdamW with a cosine schedule). Deterministic in ``cfg.seed`` on one machine."""
    from transformers import AutoModelForCausalLM

    from interpctf.nets.hf import quiet_transformers

    cfg = cfg or TinyLMConfig()
    quiet_transformers()
    sentences = fact_sentences(world, cfg)
    style = "bytelevel" if family in ("gpt2", "gpt_neox", "gptj") else "metaspace"
    tok = bpe_tokenizer(sentences, style, cfg.merges)
    torch.manual_seed(cfg.seed)
    model = AutoModelForCausalLM.from_config(build_config(family, cfg, len(tok), tok.pad_token_id, tok.bos_token_id,
                                                          tok.eos_token_id))
    encoded = [tok(s)["input_ids"] for s in sentences]
    rng = random.Random(f"tiny-lm-{family}-{cfg.seed}")
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01, betas=(0.9, 0.98))
    model.train()
    for step in range(cfg.steps):
        lr = cfg.lr * min(1.0, (step + 1) / 30) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / cfg.steps)))
        for group in opt.param_groups:
            group["lr"] = lr
        batch = [tok(_packed(sentences, rng, cfg.pack))["input_ids"] if cfg.pack > 1 else rng.choice(encoded)
                 for _ in range(cfg.batch_size)]
        width = max(len(b) for b in batch)
        ids = torch.full((len(batch), width), tok.pad_token_id, dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        for i, b in enumerate(batch):
            ids[i, :len(b)] = torch.tensor(b)
            labels[i, 1:len(b)] = torch.tensor(b[1:])
        loss = model(input_ids=ids, labels=labels).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return model.eval(), tok


def _packed(sentences: list[str], rng: random.Random, pack: int) -> str:
    """One training text: 1 to ``pack`` random fact sentences one after the other, so the model reads facts behind
    other text, as a real LM does (tokenized as a whole: a sentence inside the text gets its leading space)."""
    return " ".join(rng.choice(sentences) for _ in range(rng.randint(1, pack)))


def world_records(world: World, cfg: TinyLMConfig, n: int = 1, seed: int = 0, n_paraphrases: int = 3
                  ) -> list[dict]:
    """``n`` CounterFact records rewriting facts the tiny model was taught: the relation's canonical template as
    the prompt, ``n_paraphrases`` other training templates as paraphrases (the editor never sees them), and
    every other taught subject with the same true object as the neighbourhood; the new object is one the
    model was taught for another subject. Only facts with at least two
    neighbours are chosen, deterministic in ``seed``."""
    rng = random.Random(f"tiny-records-{seed}")
    subjects = world.subjects[:cfg.n_subjects]
    candidates = []
    for s in subjects:
        for r in cfg.relations:
            old = world.object_of(s, r)
            neighbours = [o for o in subjects if o != s and world.object_of(o, r) == old]
            if len(neighbours) >= 2:
                candidates.append((s, r, old, neighbours))
    # a new object the model has written (some taught subject has it): it cannot write a word it never saw
    seen = {r: {world.object_of(s, r) for s in subjects} for r in cfg.relations}
    out = []
    for s, r, old, neighbours in rng.sample(candidates, n):
        templates = [t.text for t in world.templates(r, "train")]
        out.append({"requested_rewrite": {
            "prompt": templates[0].replace("{s}", "{}"), "subject": s, "relation_id": r,
            "target_new": {"str": rng.choice(sorted(seen[r] - {old}))}, "target_true": {"str": old}},
            "paraphrase_prompts": [t.replace("{s}", s) for t in rng.sample(templates[1:], n_paraphrases)],
            "neighborhood_prompts": [templates[0].replace("{s}", o) for o in neighbours]})
    return out
