"""A tiny GPT-2 (transformers' ``GPT2LMHeadModel``) trained from scratch on the synthetic world's corpus.

Saved in Hugging Face layout (config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
generation_config.json) plus world.json and metrics.json, so it loads offline with
``AutoModelForCausalLM.from_pretrained(dir)``, TransformerLens's ``TransformerBridge`` and nnsight.
"""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict, Field
from transformers import GPT2Config, GPT2LMHeadModel

from interpctf.nets.hf import quiet_transformers
from interpctf.data.world import World, WorldConfig
from interpctf.data.world_tokenizer import build_tokenizer, save_tokenizer
from interpctf.nets.tiny_gpt_eval import fact_recall
from interpctf.progress import Progress, SilentProgress


class TinyGPTConfig(BaseModel):
    """Architecture and training schedule. Sized so that 2 CPU cores reach the recall bars in minutes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    world: WorldConfig = WorldConfig(n_subjects=200)
    n_layer: int = 4
    n_embd: int = 128
    n_head: int = 4
    n_inner: int = 512
    n_positions: int = 64
    steps: int = 2000
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.1
    warmup: int = 100
    # Rows are packed with whole fact sentences up to this many tokens: little padding, so more facts per FLOP.
    row_tokens: int = Field(default=32, ge=8, le=64)
    seed: int = 0


def build_model(cfg: TinyGPTConfig, vocab_size: int, pad_id: int, bos_id: int, eos_id: int) -> GPT2LMHeadModel:
    config = GPT2Config(vocab_size=vocab_size, n_positions=cfg.n_positions, n_embd=cfg.n_embd, n_layer=cfg.n_layer,
                        n_head=cfg.n_head, n_inner=cfg.n_inner, activation_function="gelu_new",
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=bos_id,
                        eos_token_id=eos_id, pad_token_id=pad_id, tie_word_embeddings=True)
    return GPT2LMHeadModel(config)


def _sentence_ids(world: World, tokenizer) -> dict[str, list[list[int]]]:
    """Token ids (without BOS) of every fact in every training template, grouped by relation-fact key."""
    table: dict[str, list[list[int]]] = {}
    for fact in world.facts:
        key = f"{fact.subject}|{fact.relation}"
        table[key] = [tokenizer(world.sentence(fact, t), add_special_tokens=False)["input_ids"]
                      for t in world.templates(fact.relation, "train")]
    return table


def _batch(rng: random.Random, keys: list[str], table: dict[str, list[list[int]]], cfg: TinyGPTConfig,
           bos: int) -> tuple[torch.Tensor, torch.Tensor]:
    docs = []
    for _ in range(cfg.batch_size):
        ids = [bos]
        while True:
            sent = rng.choice(table[rng.choice(keys)])
            if len(ids) > 1 and len(ids) + len(sent) > cfg.row_tokens:
                break
            ids += sent
        docs.append(ids)
    width = max(len(d) for d in docs)
    inputs = torch.zeros(len(docs), width, dtype=torch.long)
    labels = torch.full((len(docs), width), -100, dtype=torch.long)
    for i, d in enumerate(docs):
        inputs[i, :len(d)] = torch.tensor(d)
        labels[i, 1:len(d)] = torch.tensor(d[1:])  # no loss on predicting BOS itself
    return inputs, labels


def train_world_model(world: World, out_dir: str | Path, seed: int = 0, progress: Progress | None = None,
                      config: TinyGPTConfig | None = None) -> dict:
    """Trains a tiny GPT-2 on ``world``'s training templates, saves it to ``out_dir`` and returns metrics:
    top-1 recall on training templates and on held-out paraphrase templates, steps, seconds, final loss."""
    cfg = config or TinyGPTConfig(world=world.config, seed=seed)
    progress = progress or SilentProgress()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    rng = random.Random(f"train-{cfg.seed}")
    tokenizer = build_tokenizer(world)
    model = build_model(cfg, len(tokenizer), tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id)
    table = _sentence_ids(world, tokenizer)
    keys = sorted(table)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.98))

    def lr_at(step: int) -> float:  # linear warm-up, cosine decay to 5%
        if step < cfg.warmup:
            return cfg.lr * (step + 1) / cfg.warmup
        frac = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
        return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))

    quiet_transformers()
    start = time.perf_counter()
    model.train()
    loss_ema = None
    with progress.step("training world model", total=cfg.steps) as bar:
        for step in range(cfg.steps):
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            inputs, labels = _batch(rng, keys, table, cfg, tokenizer.bos_token_id)
            loss = model(input_ids=inputs, labels=labels).loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            loss_ema = loss.item() if loss_ema is None else 0.98 * loss_ema + 0.02 * loss.item()
            bar.advance(1)
            if step % 50 == 0:
                bar.update(description=f"training world model (loss {loss_ema:.3f})")
    train_seconds = time.perf_counter() - start
    model.eval()
    with progress.step("measuring fact recall", total=2) as bar:
        recall_train = fact_recall(model, tokenizer, world, "train")
        bar.advance(1)
        recall_para = fact_recall(model, tokenizer, world, "paraphrase")
        bar.advance(1)
    metrics = {"recall_train": recall_train, "recall_paraphrase": recall_para, "steps": cfg.steps,
               "train_seconds": round(train_seconds, 1), "final_loss": round(loss_ema or float("nan"), 4),
               "n_params": sum(p.numel() for p in model.parameters()), "config": cfg.model_dump(mode="json")}
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(str(out), safe_serialization=True)
    save_tokenizer(tokenizer, out)
    world.save(out / "world.json")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    return metrics


FAMILY = "world-gpt"  # config.json's interpctf_family for edited world models published in bundles


def load(model_dir: Path):
    """A published world model (transformers GPT2LMHeadModel, eval mode), offline."""
    from transformers import AutoModelForCausalLM

    quiet_transformers()
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), local_files_only=True)
    return model.eval()
