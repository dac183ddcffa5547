"""A small 3-conv image classifier (no batch-norm) for trojan challenges, saved as config.json + safetensors.

One file layout for clean and trojaned models alike: the config holds only the architecture, never a seed,
a timestamp or anything about training data, and the safetensors file holds only the weights (no metadata), so
two models of the same shape give byte-identical configs and files of identical size.
A detection suite stores many such models under ``model/<id>/`` with a top-level ``model/config.json`` that
lists the ids; :func:`load` then returns an ``nn.ModuleDict`` keyed by id.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn import functional as F

from interpctf.nets.fit import fit

FAMILY = "trojan-cnn"


@dataclass(frozen=True)
class SmallCNNConfig:
    widths: tuple[int, int, int] = (16, 32, 32)
    steps: int = 600
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-4


class SmallCNN(nn.Module):
    """conv3x3 -> ReLU -> maxpool2 -> conv3x3 -> ReLU -> maxpool2 -> conv3x3 -> ReLU -> linear(classes).

    Inputs: float images (N, C, H, W) with values in [0, 1].
    """

    def __init__(self, in_channels: int = 1, size: int = 16, num_classes: int = 10,
                 widths: tuple[int, int, int] = (16, 32, 32)):
        super().__init__()
        a, b, c = widths
        self.in_channels, self.size, self.num_classes, self.widths = in_channels, size, num_classes, tuple(widths)
        self.conv1 = nn.Conv2d(in_channels, a, 3, padding=1)
        self.conv2 = nn.Conv2d(a, b, 3, padding=1)
        self.conv3 = nn.Conv2d(b, c, 3, padding=1)
        self.fc = nn.Linear(c * (size // 4) ** 2, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, self.in_channels, self.size, self.size).float()
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.conv3(x))
        return self.fc(x.flatten(1))


Batcher = Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]
"""Turns a batch of indices into (images, labels): the place where a trojan's poisoning happens."""


def train(cfg: SmallCNNConfig, shape: tuple[int, int, int], num_classes: int, batcher: Batcher, n_train: int,
          seed: int, on_step=None) -> SmallCNN:
    """Train from ``seed``; ``batcher(indices, rng)`` supplies each batch (augmented/poisoned as it likes)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    c, h, w = shape
    model = SmallCNN(c, h, num_classes, cfg.widths)
    # the loop is image_classifier's; the seeding order above is unchanged, so models keep their bytes
    return fit(model, cfg.steps, cfg.batch_size, cfg.lr, cfg.weight_decay, batcher, n_train, rng, on_step)


@torch.no_grad()
def predict(model: nn.Module, images: np.ndarray, batch: int = 2048) -> np.ndarray:
    model.eval()
    out = [model(torch.from_numpy(np.array(images[i:i + batch], dtype=np.float32))).argmax(-1)
           for i in range(0, len(images), batch)]
    return torch.cat(out).numpy().astype(np.int64) if out else np.zeros(0, dtype=np.int64)


def _config(model: SmallCNN) -> dict:
    return {"interpctf_family": FAMILY, "architecture": "SmallCNN",
            "input_shape": [model.in_channels, model.size, model.size], "input_range": [0.0, 1.0],
            "num_classes": model.num_classes, "widths": list(model.widths)}


def save(model: SmallCNN, out_dir: Path) -> None:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(_config(model), indent=1, sort_keys=True))
    # only weights: no metadata, no counters (this net has no batch-norm, so there are none to strip)
    tensors = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    save_file(tensors, str(out_dir / "model.safetensors"))


def save_suite(models: dict[str, SmallCNN], out_dir: Path) -> None:
    """Each model under ``out_dir/<id>/``; ``out_dir/config.json`` lists the ids."""
    out_dir = Path(out_dir)
    first = next(iter(models.values()))
    for mid, model in models.items():
        save(model, out_dir / mid)
    config = {**_config(first), "suite": sorted(models)}
    (out_dir / "config.json").write_text(json.dumps(config, indent=1, sort_keys=True))


def load_one(model_dir: Path) -> SmallCNN:
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    c, h, _ = config["input_shape"]
    model = SmallCNN(c, h, config["num_classes"], tuple(config["widths"]))
    model.load_state_dict(load_file(str(model_dir / "model.safetensors")))
    return model.eval()


def load(model_dir: Path) -> nn.Module:
    """One model, or for a detection suite an ``nn.ModuleDict`` {id: model}."""
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    if "suite" in config:
        return nn.ModuleDict({mid: load_one(model_dir / mid) for mid in config["suite"]}).eval()
    return load_one(model_dir)


__all__ = ["SmallCNN", "SmallCNNConfig", "train", "predict", "save", "save_suite", "load", "load_one", "FAMILY"]
