"""The training loop every image classifier here shares: AdamW with a one-cycle schedule, batches from a
``batcher`` (where a trojan's poisoning happens), on a chosen device."""

from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

Batcher = Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def fit(model: nn.Module, steps: int, batch_size: int, lr: float, weight_decay: float, batcher: Batcher,
        n_train: int, rng: np.random.Generator, on_step: Callable[[int, float], object] | None = None,
        device: torch.device | None = None) -> nn.Module:
    """AdamW with a one-cycle schedule; ``batcher(indices, rng)`` supplies each batch (where poisoning happens)."""
    device = device or torch.device("cpu")
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    model.train()
    for step in range(steps):
        idx = rng.integers(n_train, size=batch_size)
        images, labels = batcher(idx, rng)
        x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).to(device)
        y = torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(device)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if on_step is not None:
            on_step(step, loss.item())
    return model.eval()
