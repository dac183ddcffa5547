"""What the labelfn image CNNs (8x8 digits, 28x28 MNIST) share: the training loop, margins and the safetensors
layout. Each model file keeps its own layers and config; this module only trains, reads and writes them."""

import json
from pathlib import Path
from typing import Callable, Protocol

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn import functional as F

from interpctf.nets.threads import single_thread


class TrainSettings(Protocol):
    steps: int
    batch_size: int
    lr: float
    weight_decay: float


@single_thread()
def train_binary(model: nn.Module, cfg: TrainSettings, images: np.ndarray, labels: np.ndarray, seed: int,
                 on_step: Callable[[int, float], None] | None = None) -> nn.Module:
    """AdamW with a one-cycle schedule on random batches drawn from ``seed``; returns ``model`` in eval mode.
    The caller seeds torch before building ``model`` so that a seed fixes the initial weights too."""
    x = torch.from_numpy(np.asarray(images, dtype=np.float32))
    y = torch.from_numpy(labels.astype(np.int64))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps, pct_start=0.1)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for step in range(cfg.steps):
        idx = torch.randint(len(x), (min(cfg.batch_size, len(x)),), generator=gen)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if on_step is not None:
            on_step(step, loss.item())
    return model.eval()


@torch.no_grad()
def margins(model: nn.Module, images: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Logit of label 1 minus logit of label 0: near zero where the model is unsure."""
    model.eval()
    out = []
    with single_thread():
        for i in range(0, len(images), batch):
            # torch.tensor copies: inputs may be read-only arrays, which torch.from_numpy warns about
            logits = model(torch.tensor(np.asarray(images[i:i + batch], dtype=np.float32)))
            out.append((logits[:, 1] - logits[:, 0]).numpy())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def predict(model: nn.Module, images: np.ndarray) -> np.ndarray:
    return (margins(model, images) > 0).astype(np.int64)


def save_binary(model: nn.Module, out_dir: Path, config: dict) -> None:
    """``config.json`` (the family's fields plus ``num_labels``) and ``model.safetensors``."""
    out_dir = Path(out_dir)
    (out_dir / "config.json").write_text(json.dumps({**config, "num_labels": 2}, indent=1, sort_keys=True))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out_dir / "model.safetensors"))


def read_config(model_dir: Path) -> dict:
    return json.loads((Path(model_dir) / "config.json").read_text())


def load_weights(model: nn.Module, model_dir: Path) -> nn.Module:
    model.load_state_dict(load_file(str(Path(model_dir) / "model.safetensors")))
    return model.eval()
