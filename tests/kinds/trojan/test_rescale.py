"""The canonical scale keeps every logit of a small CNN and sets every hidden channel's norm."""

import numpy as np
import torch

from interpctf.kinds.trojan.rescale import canonicalize_suite, unit_norms
from interpctf.nets.small_cnn import SmallCNN


def test_rescaling_preserves_the_function_and_equalizes_channel_norms():
    torch.manual_seed(0)
    models = {f"m{i}": SmallCNN(1, 16, 10) for i in range(3)}
    with torch.no_grad():
        models["m1"].conv1.weight.mul_(3.0)  # one model's first layer at another scale
    x = torch.rand(32, 1, 16, 16)
    before = {m: net(x).detach().clone() for m, net in models.items()}
    canonicalize_suite(models)
    for m, net in models.items():
        assert torch.allclose(net(x), before[m], rtol=1e-4, atol=1e-5)
    for layer in ("conv1", "conv2", "conv3"):
        norms = np.concatenate([unit_norms(net, layer) for net in models.values()])
        assert np.allclose(norms, norms[0], rtol=1e-5)
