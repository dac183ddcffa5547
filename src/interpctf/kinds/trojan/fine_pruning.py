"""Fine-pruning (Liu, Dolan-Gavitt and Garg, 2018), the removal baseline: prune the units of the last layer
before the classifier that stay dormant on clean inputs (a backdoor tends to live in them), then fine-tune on a
small clean set with the pruned units held at zero. It sees only the public bundle: the model and the clean
samples in ``examples/``.

The paper prunes the channels of the last convolutional layer. Here the pruned units are the inputs of the
final ``nn.Linear``: for a ResNet those are exactly the last block's channels (after global pooling); for the
small CNN they are its last conv layer's activations per position. Pruning zeroes their columns in the
classifier's weight, which is what removing the channels does to the output.
"""

import copy

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

PRUNE_FRACTION = 0.6   # share of units pruned, least active on clean data first
FINE_TUNE_STEPS = 100
FINE_TUNE_LR = 1e-3
BATCH = 32


def _head(model: nn.Module) -> nn.Linear:
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("fine-pruning needs a final nn.Linear classifier")
    return linears[-1]


@torch.no_grad()
def dormant_units(model: nn.Module, images: np.ndarray, fraction: float = PRUNE_FRACTION) -> np.ndarray:
    """Indices of the classifier inputs with the lowest mean activation on clean ``images``."""
    head, seen = _head(model), []
    hook = head.register_forward_hook(lambda mod, args, out: seen.append(args[0].detach().flatten(1)))
    try:
        model.eval()
        model(torch.from_numpy(np.asarray(images, dtype=np.float32)))
    finally:
        hook.remove()
    activity = torch.cat(seen).abs().mean(0).numpy()
    return np.argsort(activity, kind="stable")[:int(round(fraction * len(activity)))]


def fine_prune(model: nn.Module, images: np.ndarray, labels: np.ndarray, seed: int = 0,
               steps: int = FINE_TUNE_STEPS) -> nn.Module:
    """A pruned and fine-tuned copy of ``model``; batch-norm statistics stay frozen (the clean set is small)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    out = copy.deepcopy(model)
    head = _head(out)
    mask = torch.ones_like(head.weight)
    mask[:, torch.from_numpy(dormant_units(out, images))] = 0.0
    with torch.no_grad():
        head.weight.mul_(mask)
    opt = torch.optim.Adam(out.parameters(), lr=FINE_TUNE_LR)
    out.eval()  # eval: batch-norm layers keep their running statistics
    x_all = torch.from_numpy(np.asarray(images, dtype=np.float32))
    y_all = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    for _ in range(steps):
        idx = torch.from_numpy(rng.integers(len(x_all), size=min(BATCH, len(x_all))))
        loss = F.cross_entropy(out(x_all[idx]), y_all[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            head.weight.mul_(mask)
    return out.eval()


def delta(before: nn.Module, after: nn.Module) -> dict[str, torch.Tensor]:
    """after - before for every float tensor, keyed by name: a removal answer's content."""
    old, new = before.state_dict(), after.state_dict()
    return {k: (new[k] - v).contiguous() for k, v in old.items() if v.is_floating_point()}


__all__ = ["fine_prune", "dormant_units", "delta", "PRUNE_FRACTION"]
