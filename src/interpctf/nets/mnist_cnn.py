"""A CNN for 28x28 MNIST images with a binary output, as large as the 2023 CNN challenge's model (81,850
parameters), saved as config.json + model.safetensors.

conv 3x3 stride 2 (1->24) -> ReLU -> conv 3x3 stride 2 (24->24) -> ReLU -> linear 1176->64 -> ReLU ->
linear 64->16 -> ReLU -> linear 16->2. The 2023 write-up gives the parameter count, not the layers; these layers
have exactly that count. Strided convolutions rather than pooling: a rule about the distance to one secret
image is position-specific, and max pooling throws away where ink is.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn import functional as F

from interpctf.nets.threads import single_thread

FAMILY = "mnist-cnn"
SIDE = 28


@dataclass(frozen=True)
class MnistCNNConfig:
    channels: int = 24
    hidden: int = 64
    steps: int = 3000
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4


class MnistCNN(nn.Module):
    """Inputs are images as the data set stores them, values 0..255, scaled to 0..1 inside ``forward``."""

    def __init__(self, channels: int = 24, hidden: int = 64):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, stride=2, padding=1)         # 28 -> 14
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=2, padding=1)  # 14 -> 7
        self.fc1 = nn.Linear(channels * 7 * 7, hidden)
        self.fc2 = nn.Linear(hidden, 16)
        self.fc3 = nn.Linear(16, 2)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.reshape(-1, 1, SIDE, SIDE).float() / 255.0
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc3(F.relu(self.fc2(x)))


@single_thread()
def train(cfg: MnistCNNConfig, images: np.ndarray, labels: np.ndarray, seed: int, on_step=None,
          model: MnistCNN | None = None) -> MnistCNN:
    """Train a new model, or go on training ``model`` (with a fresh optimizer and schedule)."""
    torch.manual_seed(seed)
    model = model or MnistCNN(cfg.channels, cfg.hidden)
    x, y = torch.from_numpy(np.asarray(images, dtype=np.float32)), torch.from_numpy(labels.astype(np.int64))
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
def margins(model: MnistCNN, images: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Logit of label 1 minus logit of label 0: near zero where the model is unsure."""
    model.eval()
    out = []
    with single_thread():
        for i in range(0, len(images), batch):
            # torch.tensor copies: inputs may be read-only arrays, which torch.from_numpy warns about
            logits = model(torch.tensor(np.asarray(images[i:i + batch], dtype=np.float32)))
            out.append((logits[:, 1] - logits[:, 0]).numpy())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def predict(model: MnistCNN, images: np.ndarray) -> np.ndarray:
    return (margins(model, images) > 0).astype(np.int64)


def save(model: MnistCNN, out_dir: Path) -> None:
    out_dir = Path(out_dir)
    config = {"interpctf_family": FAMILY, "architecture": "MnistCNN", "input_shape": [SIDE, SIDE],
              "input_range": [0, 255], "num_labels": 2,
              "channels": model.conv1.out_channels, "hidden": model.fc1.out_features}
    (out_dir / "config.json").write_text(json.dumps(config, indent=1, sort_keys=True))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out_dir / "model.safetensors"))


def load(model_dir: Path) -> MnistCNN:
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    model = MnistCNN(config["channels"], config["hidden"])
    model.load_state_dict(load_file(str(model_dir / "model.safetensors")))
    return model.eval()


__all__ = ["MnistCNN", "MnistCNNConfig", "train", "predict", "margins", "save", "load", "FAMILY"]
