"""The trojan part of the challenge card: loading, inputs, pictures, the white-box baseline's verdict."""

from interpctf.kinds.trojan.facts import TrojanPublic
from interpctf.schema import Challenge

LOADING = """## Loading the model (offline)

```python
import interpctf, numpy as np, torch
model = interpctf.load("{bundle}")   # {what}
samples = np.load("{bundle}/examples/clean_samples.npz")   # clean inputs: images (N, {c}, {h}, {w}) in [0, 1], labels
logits = {call}(torch.from_numpy(samples["images"]))
```

Plain PyTorch without interpctf: `{module}` documents the architecture ({arch}); the weights
are `model/{sub}model.safetensors` and the shapes `model/{sub}config.json`. Inputs are float images
(N, {c}, {h}, {w}) with values in [0, 1]; there are {k} classes.

Sample inputs: `examples/samples.png` (one row per class).
"""

ARCH = "conv 3x3 -> ReLU -> max-pool 2, twice, then conv 3x3 -> ReLU -> linear; no batch-norm"
RESNET = "torchvision's {name} layout and module names, channel width x{width}; batch-norm statistics included"


def card_text(challenge: Challenge) -> str:
    m = challenge.manifest
    p = challenge.public_as(TrojanPublic)
    c, h, w = p.input_shape
    if p.answer == "detect":
        ids = p.model_ids
        text = LOADING.format(bundle=m.id, what=f"an nn.ModuleDict: {ids[0]} .. {ids[-1]}", c=c, h=h, w=w,
                              call=f'model["{ids[0]}"]', arch=ARCH, sub="<id>/", k=p.num_classes,
                              module="interpctf.nets.small_cnn")
        text += (f"\nThe suite holds {len(ids)} models with identical architecture, training recipe and files; "
                 f"possible attacks: {', '.join(p.attacks)}.\n")
    elif p.architecture is not None:  # any architecture, one or several triggers
        arch = ARCH if p.architecture == "small_cnn" else RESNET.format(name=p.architecture, width="(see config)")
        text = LOADING.format(bundle=m.id, what=f"a torch.nn.Module ({p.architecture}), eval mode", c=c, h=h, w=w,
                              call="model", arch=arch, sub="", k=p.num_classes,
                              module="interpctf.nets.image_classifier")
        text += f"\nThe model hides {p.n_triggers} trigger(s), each with its own target class.\n"
        if p.answer == "triggers":
            text += f"\nMask budget per trigger (L1 norm): {p.mask_budget}. Template: `examples/answer_template.json`.\n"
        else:
            text += "\nAnswer with weight deltas: see `examples/answer_template.txt`.\n"
    else:
        text = LOADING.format(bundle=m.id, what="a torch.nn.Module (SmallCNN), eval mode", c=c, h=h, w=w,
                              call="model", arch=ARCH, sub="", k=p.num_classes, module="interpctf.nets.small_cnn")
        if p.answer == "trigger":
            text += f"\nMask budget (L1 norm of your mask): {p.mask_budget}. Template: " \
                    "`examples/answer_template.json`.\n"
        if p.answer == "choice":
            text += ("\nCandidates: `examples/candidates.png` (top row: each candidate stamped on one input; bottom "
                     "row: mask x pattern), arrays in `examples/candidates.npz`. You have one attempt.\n")
    nc = m.baselines.get("neural_cleanse")
    verdict = "not run" if nc is None else ("yes" if nc.solved else "no")
    text += f"\n**A white-box baseline solves this: {verdict}** (Neural Cleanse, graded on the public split).\n"
    return text
