"""A small CNN for 8x8 digit images with a binary output, saved as config.json + model.safetensors."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from interpctf.nets.binary_cnn import load_weights, margins, predict, read_config, save_binary, train_binary

FAMILY = "digits-cnn"


@dataclass(frozen=True)
class DigitsCNNConfig:
    channels: int = 8
    hidden: int = 256
    steps: int = 1500
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4


class DigitsCNN(nn.Module):
    """conv 3x3 (1->c) -> ReLU -> conv 3x3 (c->2c) -> ReLU -> linear(hidden) -> ReLU -> linear(32) -> ReLU -> linear(2).

    No pooling: an 8x8 image is small, and rules about one secret image are position-specific, which the
    fully connected layers need to see. Inputs are scaled from 0..16 to 0..1 inside ``forward`` so callers pass
    images exactly as load_digits gives them.
    """

    def __init__(self, channels: int = 8, hidden: int = 256):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, 2 * channels, 3, padding=1)
        self.fc1 = nn.Linear(2 * channels * 64, hidden)
        self.fc2 = nn.Linear(hidden, 32)
        self.fc3 = nn.Linear(32, 2)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.reshape(-1, 1, 8, 8).float() / 16.0
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc3(F.relu(self.fc2(x)))


def train(cfg: DigitsCNNConfig, images: np.ndarray, labels: np.ndarray, seed: int, on_step=None,
          model: DigitsCNN | None = None) -> DigitsCNN:
    """Train a new model, or go on training ``model`` (with a fresh optimizer and schedule)."""
    torch.manual_seed(seed)
    model = model or DigitsCNN(cfg.channels, cfg.hidden)
    return train_binary(model, cfg, images, labels, seed, on_step)


def save(model: DigitsCNN, out_dir: Path) -> None:
    save_binary(model, out_dir, {"interpctf_family": FAMILY, "architecture": "DigitsCNN", "input_shape": [8, 8],
                                 "input_range": [0, 16], "channels": model.conv1.out_channels,
                                 "hidden": model.fc1.out_features})


def load(model_dir: Path) -> DigitsCNN:
    config = read_config(model_dir)
    return load_weights(DigitsCNN(config["channels"], config["hidden"]), model_dir)


__all__ = ["DigitsCNN", "DigitsCNNConfig", "train", "predict", "margins", "save", "load", "FAMILY"]
