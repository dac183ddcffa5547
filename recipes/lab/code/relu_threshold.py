"""A learned-threshold ReLU SAE, as a code run: `interpctf lab run sae-toy --code recipes/lab/code/relu_threshold.py
--config recipes/lab/code/relu_threshold.yaml`.

Each latent fires only above its own threshold: codes = relu(pre - t) with t = softplus(theta) >= 0 learned per
latent. The threshold lets a latent ignore the small interference from other features in superposition without
its encoder bias having to carry the offset, and the code is still differentiable everywhere (no straight-through
estimator). Loss: squared error plus an L1 penalty weighted by the decoder row norms (so shrinking the codes and
growing the decoder cannot dodge it). The decoder is the lab's linear one, which is all the trusted side uses.
"""

import torch
from torch import nn
from torch.nn.functional import softplus

from interpctf.lab.saes.custom import CustomSAE, LossParts, fired_of, sum_sq


class ReLUThresholdSAE(CustomSAE):
    def extra_init(self, generator):
        # softplus(-4) ~ 0.018: the threshold starts near zero and grows where interference needs it.
        self.theta = nn.Parameter(torch.full((self.d_sae,), -4.0))

    def encode(self, x):
        return torch.relu(self.pre_acts(x) - softplus(self.theta))

    def train_step_loss(self, x, y, sparsity_coefficient, dead_mask):
        codes = self.encode(x)
        mse = sum_sq(self.decode(codes), y)
        l1 = (codes * self.W_dec.norm(dim=1)).sum(dim=-1).mean()
        return LossParts(mse + sparsity_coefficient * l1, {"mse": mse, "l1": l1}, fired_of(codes))
