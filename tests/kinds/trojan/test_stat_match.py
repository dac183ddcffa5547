"""Matching weight statistics (stat_match.py) rescales channels only: every model keeps its predictions, and its
logits up to one shift common to all classes (the centred last bias)."""

import numpy as np
import torch

from interpctf.kinds.trojan.stat_match import match_suite
from interpctf.nets.small_cnn import SmallCNN


def test_matching_keeps_every_logit_up_to_a_common_shift():
    torch.manual_seed(0)
    models = {f"m{i}": SmallCNN(1, 16, 10) for i in range(2)}
    with torch.no_grad():
        models["m1"].conv2.weight.mul_(1.5)  # one model's statistics elsewhere
    x = torch.rand(16, 1, 16, 16)
    before = {m: net(x).detach().clone() for m, net in models.items()}
    residual = match_suite(models, steps=10)
    assert np.isfinite(residual)
    for m, net in models.items():
        shift = net(x).detach() - before[m]
        assert torch.allclose(shift, shift.mean(1, keepdim=True).expand_as(shift), atol=1e-5)
