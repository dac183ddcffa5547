"""A CNN for 28x28 MNIST images with a binary output, as large as the 2023 CNN challenge's model (81,850
parameters), saved as config.json + model.safetensors.

conv 3x3 stride 2 (1->24) -> ReLU -> conv 3x3 stride 2 (24->24) -> ReLU -> linear 1176->64 -> ReLU ->
linear 64->16 -> ReLU -> linear 16->2. The 2023 write-up gives the parameter count, not the layers; these layers
have exactly that count. Strided convolutions rather than pooling: a rule about the distance to one secret
image is position-specific, and max pooling throws away where ink is.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from interpctf.nets.binary_cnn import load_weights, margins, predict, read_config, save_binary, train_binary

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


def train(cfg: MnistCNNConfig, images: np.ndarray, labels: np.ndarray, seed: int, on_step=None,
          model: MnistCNN | None = None) -> MnistCNN:
    """Train a new model, or go on training ``model`` (with a fresh optimizer and schedule)."""
    torch.manual_seed(seed)
    model = model or MnistCNN(cfg.channels, cfg.hidden)
    return train_binary(model, cfg, images, labels, seed, on_step)


def save(model: MnistCNN, out_dir: Path) -> None:
    save_binary(model, out_dir, {"interpctf_family": FAMILY, "architecture": "MnistCNN", "input_shape": [SIDE, SIDE],
                                 "input_range": [0, 255], "channels": model.conv1.out_channels,
                                 "hidden": model.fc1.out_features})


def load(model_dir: Path) -> MnistCNN:
    config = read_config(model_dir)
    return load_weights(MnistCNN(config["channels"], config["hidden"]), model_dir)


__all__ = ["MnistCNN", "MnistCNNConfig", "train", "predict", "margins", "save", "load", "FAMILY"]
