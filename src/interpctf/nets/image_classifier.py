"""Any image classifier of :mod:`interpctf.nets.architectures`, saved as config.json + safetensors (family
``trojan-classifier``); its training loop, prediction on a device, and fine-tuning from a weights file.

The config names the architecture, its width, input shape and class count, nothing about training, so a clean
twin and a trojaned model of one recipe have byte-identical configs. Batch-norm buffers (running statistics) are
saved with the weights: they are part of what the model computes.
"""

import json
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from interpctf.errors import BadRecipe
from interpctf.nets.architectures import build
from interpctf.nets.fit import Batcher, fit
from interpctf.nets.threads import single_thread

FAMILY = "trojan-classifier"


@dataclass(frozen=True)
class NetSpec:
    """Which network to train and where: the recipe's architecture, width, pretrained file and device."""

    architecture: str = "small_cnn"
    width: float = 1.0
    pretrained: str | None = None
    device: str = "cpu"


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise BadRecipe("device: cuda was asked for but torch sees no CUDA device; use cpu or auto")
    return torch.device(device)


def new_model(spec: NetSpec, shape: tuple[int, int, int], num_classes: int) -> nn.Module:
    c, h, _ = shape
    model = build(spec.architecture, c, h, num_classes, spec.width)
    model.interpctf_meta = {"architecture": spec.architecture, "width": spec.width,  # type: ignore[assignment]
                            "input_shape": list(shape), "num_classes": num_classes}
    if spec.pretrained:
        load_pretrained(model, Path(spec.pretrained))
    return model


def load_pretrained(model: nn.Module, path: Path) -> None:
    """Weights to fine-tune from: a .safetensors file or a torch state dict (.pt/.pth, read with weights_only).
    A classifier head of another class count (``fc.*``, e.g. ImageNet's 1000) is left at its fresh init."""
    if not path.is_file():
        raise BadRecipe(f"pretrained: {path} is not a file")
    try:
        state = load_file(str(path)) if path.suffix == ".safetensors" else torch.load(path, weights_only=True)
    except Exception as exc:  # noqa: BLE001 -- any unreadable file is the same user error
        raise BadRecipe(f"pretrained: {path.name} is not a readable state dict ({type(exc).__name__})") from None
    if not isinstance(state, dict):
        raise BadRecipe(f"pretrained: {path.name} holds a {type(state).__name__}, not a state dict")
    own = model.state_dict()
    unknown = sorted(set(state) - set(own))
    if unknown:
        raise BadRecipe(f"pretrained: {path.name} has {unknown[0]!r}, which this architecture lacks")
    keep = {}
    for name, tensor in state.items():
        if tuple(tensor.shape) != tuple(own[name].shape):
            if name.startswith("fc."):
                continue
            raise BadRecipe(f"pretrained: {name} has shape {tuple(tensor.shape)}, the model's is "
                            f"{tuple(own[name].shape)}")
        keep[name] = tensor
    model.load_state_dict(keep, strict=False)


def train(spec: NetSpec, steps: int, batch_size: int, lr: float, weight_decay: float,
          shape: tuple[int, int, int], num_classes: int, batcher: Batcher, n_train: int, seed: int,
          on_step: Callable[[int, float], object] | None = None) -> nn.Module:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = new_model(spec, shape, num_classes)
    device = resolve_device(spec.device)
    # on the CPU one thread: these nets' ops are too small to split, and spinning workers slow a busy machine
    with single_thread() if device.type == "cpu" else nullcontext():
        fit(model, steps, batch_size, lr, weight_decay, batcher, n_train, rng, on_step, device)
    return model.cpu()


def _device_of(model: nn.Module) -> torch.device:
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


@torch.no_grad()
def predict(model: nn.Module, images: np.ndarray, batch: int = 2048) -> np.ndarray:
    model.eval()
    device = _device_of(model)
    out = [model(torch.from_numpy(np.array(images[i:i + batch], dtype=np.float32)).to(device)).argmax(-1).cpu()
           for i in range(0, len(images), batch)]
    return torch.cat(out).numpy().astype(np.int64) if out else np.zeros(0, dtype=np.int64)


def _config(model: nn.Module) -> dict[str, Any]:
    meta = model.interpctf_meta  # type: ignore[union-attr]
    return {"interpctf_family": FAMILY, "input_range": [0.0, 1.0], **meta}


def save(model: nn.Module, out_dir: Path) -> None:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(_config(model), indent=1, sort_keys=True))
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    save_file(tensors, str(out_dir / "model.safetensors"))


def load_one(model_dir: Path) -> nn.Module:
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    spec = NetSpec(config["architecture"], float(config["width"]))
    model = new_model(spec, tuple(config["input_shape"]), int(config["num_classes"]))
    model.load_state_dict(load_file(str(model_dir / "model.safetensors")))
    return model.eval()


load = load_one

__all__ = ["NetSpec", "FAMILY", "new_model", "load_pretrained", "fit", "train", "predict", "save", "load",
           "load_one", "resolve_device"]
