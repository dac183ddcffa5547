"""A multilayer perceptron over an image's pixels with a binary output (labelfn's ``model: {family: mlp}``),
saved as config.json + model.safetensors like the labelfn CNNs, whose training loop it shares."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from interpctf.nets.binary_cnn import load_weights, margins, predict, read_config, save_binary, train_binary

FAMILY = "image-mlp"


@dataclass(frozen=True)
class ImageMLPConfig:
    side: int = 8            # images are side x side
    scale: float = 16.0      # inputs are divided by this inside forward (digits 0..16, MNIST 0..255)
    hidden_sizes: tuple[int, ...] = (256, 64)
    steps: int = 1500
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4


class ImageMLP(nn.Module):
    """flatten -> (linear -> ReLU) per hidden size -> linear(2); ``layers`` is an nn.Sequential."""

    def __init__(self, side: int, scale: float, hidden_sizes: tuple[int, ...]):
        super().__init__()
        self.side, self.scale, self.hidden_sizes = side, float(scale), tuple(hidden_sizes)
        layers: list[nn.Module] = []
        width = side * side
        for h in hidden_sizes:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.layers = nn.Sequential(*layers, nn.Linear(width, 2))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images.reshape(-1, self.side * self.side).float() / self.scale)


def train(cfg: ImageMLPConfig, images: np.ndarray, labels: np.ndarray, seed: int, on_step=None,
          model: ImageMLP | None = None) -> ImageMLP:
    torch.manual_seed(seed)
    model = model or ImageMLP(cfg.side, cfg.scale, cfg.hidden_sizes)
    return train_binary(model, cfg, images, labels, seed, on_step)


def save(model: ImageMLP, out_dir: Path) -> None:
    save_binary(model, out_dir, {"interpctf_family": FAMILY, "architecture": "ImageMLP",
                                 "input_shape": [model.side, model.side], "input_range": [0, model.scale],
                                 "hidden_sizes": list(model.hidden_sizes)})


def load(model_dir: Path) -> ImageMLP:
    config = read_config(model_dir)
    side = config["input_shape"][0]
    return load_weights(ImageMLP(side, config["input_range"][1], tuple(config["hidden_sizes"])), model_dir)


__all__ = ["ImageMLP", "ImageMLPConfig", "train", "predict", "margins", "save", "load", "FAMILY"]
