"""A function-preserving canonical scale for a suite's small CNNs: hidden-layer norms stop telling models apart.

ReLU and max-pooling commute with positive scaling, channel by channel: multiplying a hidden channel's filter and
bias by ``a > 0`` and dividing the next layer's weights on that channel by ``a`` leaves every output unchanged.
Training leaves each channel at an arbitrary scale, and that scale is where trojaned and clean models differ
most visibly (a backdoor feature wants a strong filter). Here every hidden channel's incoming weights (filter and
bias together) are set to one norm per layer, the same for every model of the suite, and the last layer absorbs
the rest: the logits, and so every prediction, attack and grade, are those of the trained model.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

HIDDEN = ("conv1", "conv2", "conv3")


def unit_norms(model: Any, layer: str) -> np.ndarray:
    conv = getattr(model, layer)
    w = conv.weight.detach().reshape(conv.weight.shape[0], -1)
    return torch.sqrt((w ** 2).sum(1) + conv.bias.detach() ** 2).numpy()


def suite_radii(models: Sequence[Any]) -> tuple[float, ...]:
    """Per hidden layer, the median channel norm over all models: the common scale they are set to."""
    return tuple(float(np.median(np.concatenate([unit_norms(m, layer) for m in models]))) for layer in HIDDEN)


@torch.no_grad()
def scale_layer(model: Any, layer: str, scale: Any) -> None:
    """Multiply each channel's filter and bias of hidden ``layer`` by its (positive) scale and divide what the
    next layer reads from it by the same: every logit stays."""
    conv = getattr(model, layer)
    following = [model.conv2, model.conv3, model.fc][HIDDEN.index(layer)]
    scale = torch.as_tensor(scale).to(conv.weight.dtype)
    conv.weight.mul_(scale.view(-1, 1, 1, 1))
    conv.bias.mul_(scale)
    if following is model.fc:  # fc reads conv3's output flattened channel-major: spatial positions per channel
        per = following.weight.shape[1] // len(scale)
        following.weight.div_(scale.repeat_interleave(per).view(1, -1))
    else:
        following.weight.div_(scale.view(1, -1, 1, 1))


def canonicalize(model: Any, radii: Sequence[float]) -> Any:
    """Rescale ``model`` in place so each hidden channel's incoming norm is its layer's radius; returns it.
    Layer by layer: a layer's scale changes the next one's incoming norms."""
    for layer, radius in zip(HIDDEN, radii):
        scale_layer(model, layer, radius / torch.from_numpy(unit_norms(model, layer)).clamp_min(1e-12))
    return model


def canonicalize_suite(models: Mapping[str, Any]) -> None:
    radii = suite_radii(list(models.values()))
    for model in models.values():
        canonicalize(model, radii)


__all__ = ["unit_norms", "suite_radii", "scale_layer", "canonicalize", "canonicalize_suite"]
