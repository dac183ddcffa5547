"""A 1-layer transformer over [x, y, SEP] that predicts a binary label as token 0 or 1 at the last position.

Shape after the 2023 transformer challenge (d_model 128, 8 heads, d_mlp 1024, ReLU, one layer), built as a
GPT-2 from ``transformers`` so it is saved in Hugging Face layout and loads offline with transformers,
TransformerLens's TransformerBridge and nnsight.

GPT-2 always has LayerNorms (ln_1, ln_2, ln_f); the 2023 model had none. ``layer_norm=False`` comes as close as
that layout allows: each LayerNorm gets epsilon 1e12 and gain 1e6, so ``(x - mean) / sqrt(var + 1e12) * 1e6`` is
``x - mean(x)`` to float32 precision (var vanishes next to 1e12), a fixed linear map, frozen in training.
Such a model normalizes nothing; folding the centering into the weights that read the residual stream gives a
model without LayerNorm computing the same function.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from interpctf.nets.hf import quiet_transformers
from interpctf.nets.threads import single_thread

FAMILY = "pairs-transformer"


@dataclass(frozen=True)
class PairTransformerConfig:
    p: int = 113
    d_model: int = 128
    n_heads: int = 8
    d_mlp: int = 1024
    steps: int = 2000
    lr: float = 3e-3
    weight_decay: float = 0.5
    batch_size: int = 512
    label_smoothing: float = 0.0
    layer_norm: bool = True
    n_layers: int = 1  # the 2023 model had one; more is the recipe's model.layers


# layer_norm=False: LayerNorm(x) = (x - mean) / sqrt(var + CENTER_EPS) * sqrt(CENTER_EPS) = x - mean in float32,
# because var + 1e12 rounds to 1e12 for any var below ~3e4 (float32's spacing at 1e12 is 65536).
CENTER_EPS = 1e12


def build(cfg: PairTransformerConfig, seed: int):
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=cfg.p + 1, n_positions=3, n_embd=cfg.d_model, n_layer=cfg.n_layers, n_head=cfg.n_heads,
        n_inner=cfg.d_mlp, activation_function="relu", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
        bos_token_id=cfg.p, eos_token_id=cfg.p, tie_word_embeddings=False,
        layer_norm_epsilon=1e-5 if cfg.layer_norm else CENTER_EPS,
    )
    config.interpctf_family = FAMILY
    config.interpctf_layer_norm = cfg.layer_norm
    model = GPT2LMHeadModel(config)
    if not cfg.layer_norm:
        for norm in layer_norms(model):
            torch.nn.init.constant_(norm.weight, CENTER_EPS ** 0.5)
            torch.nn.init.zeros_(norm.bias)
            norm.requires_grad_(False)
    return model


def layer_norms(model) -> list[torch.nn.LayerNorm]:
    blocks = model.transformer.h
    return [norm for block in blocks for norm in (block.ln_1, block.ln_2)] + [model.transformer.ln_f]


def sequences(pairs: np.ndarray, p: int) -> torch.Tensor:
    """[x, y, SEP] token ids, SEP = p."""
    sep = np.full((len(pairs), 1), p, dtype=np.int64)
    return torch.from_numpy(np.concatenate([pairs, sep], axis=1))


def label_logits(model, tokens: torch.Tensor) -> torch.Tensor:
    """Logits of the two label tokens (0 and 1) at the last position, shape (N, 2)."""
    return model(input_ids=tokens).logits[:, -1, :2]


@torch.no_grad()
def predict(model, pairs: np.ndarray, p: int, batch: int = 4096) -> np.ndarray:
    model.eval()
    tokens = sequences(pairs, p)
    out = [label_logits(model, tokens[i:i + batch]).argmax(-1) for i in range(0, len(tokens), batch)]
    return torch.cat(out).numpy().astype(np.int64)


def last_position_logits(model, tokens: torch.Tensor) -> torch.Tensor:
    """The logits at the last position, computing the MLP and unembedding there only.

    Exactly what ``model(tokens).logits[:, -1]`` gives (the MLP acts per position), at a third of the last
    layer's MLP cost: training spends most of its time here.
    """
    t, block = model.transformer, model.transformer.h[-1]
    positions = torch.arange(tokens.shape[1])
    h = t.wte(tokens) + t.wpe(positions)
    for earlier in t.h[:-1]:  # every position is needed by the next layer's attention
        out = earlier(h)
        h = out[0] if isinstance(out, tuple) else out  # older transformers return (hidden, ...)
    h = h + block.attn(block.ln_1(h))[0]
    last = h[:, -1]
    last = last + block.mlp(block.ln_2(last))
    return model.lm_head(t.ln_f(last))


@single_thread()
def train(cfg: PairTransformerConfig, pairs: np.ndarray, labels: np.ndarray, seed: int, on_step=None):
    """Train on (pairs, labels) with AdamW and a cosine schedule; ``on_step(i, loss)`` reports progress."""
    model = build(cfg, seed)
    tokens, targets = sequences(pairs, cfg.p), torch.from_numpy(labels.astype(np.int64))
    trained = [p for p in model.parameters() if p.requires_grad]  # fixed centerings stay out (layer_norm=False)
    decay = [p for p in trained if p.ndim >= 2]
    no_decay = [p for p in trained if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps, pct_start=0.1)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for step in range(cfg.steps):
        idx = torch.randint(len(tokens), (min(cfg.batch_size, len(tokens)),), generator=gen)
        logits = last_position_logits(model, tokens[idx])
        loss = F.cross_entropy(logits, targets[idx], label_smoothing=cfg.label_smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if on_step is not None:
            on_step(step, loss.item())
    model.eval()
    return model


def save(model, out_dir: Path) -> None:
    quiet_transformers()
    model.save_pretrained(out_dir, safe_serialization=True)
    # generation defaults are meaningless for a classifier and would only add noise to the bundle
    (Path(out_dir) / "generation_config.json").unlink(missing_ok=True)


def load(model_dir: Path):
    from transformers import GPT2LMHeadModel

    quiet_transformers()
    return GPT2LMHeadModel.from_pretrained(model_dir, local_files_only=True).eval()
