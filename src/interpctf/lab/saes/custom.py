"""The base a code run's SAE subclasses (``interpctf lab run TASK --code my_sae.py``).

A subclass writes its own ``encode`` (input -> codes, shape (n, d_sae)) and ``train_step_loss`` (the training
objective), and may add parameters in ``extra_init``. The decoder stays the base's linear one, ``codes @ W_dec +
b_dec``: that is what the trusted side uses to reconstruct, outside the sandbox, from the codes and weights the run
returns, so a subclass that overrides ``decode`` changes nothing it is judged on. The registry lists this class as
the ``code`` architecture so a config can say ``architecture: code``; it cannot be trained by itself.
"""

from __future__ import annotations

import torch

from interpctf.lab.saes.base import SAE, LossParts, fired_of, sum_sq


class CustomSAE(SAE):
    name = "code"
    saelens_architecture = None  # SAELens has no class for arbitrary code; cfg.json says "custom"
    needs_sparsity = False  # the code decides what its coefficient means, if anything
    trainable = False  # by name, only as the base of a module's class

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("a code SAE defines encode(x)")

    def train_step_loss(self, x, y, sparsity_coefficient, dead_mask) -> LossParts:
        raise NotImplementedError("a code SAE defines train_step_loss(x, y, sparsity_coefficient, dead_mask)")


__all__ = ["CustomSAE", "LossParts", "fired_of", "sum_sq"]
