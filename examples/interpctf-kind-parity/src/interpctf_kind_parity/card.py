"""The parity part of the challenge card: how to load the model, what it reads, how to answer."""

from interpctf.schema import Challenge
from interpctf_kind_parity.facts import ParityPublic

CARD = """## Loading the model (offline)

```python
import torch
from interpctf_kind_parity.model import load, all_vectors
model = load("{bundle}/model")                 # a torch.nn.Module: {n} bits -> hidden ReLU layer ({hidden}) -> 2 logits
bits = torch.tensor(all_vectors({n}), dtype=torch.float32)   # all {size} vectors as 0/1 floats
labels = model(bits).argmax(-1)
```

`interpctf.load("{bundle}")` returns the same module. Files: `model/config.json` (family `parity-mlp`, `n_bits`,
`hidden`) and `model/model.safetensors` (`fc1.weight`, `fc1.bias`, `fc2.weight`, `fc2.bias`); the model maps each
bit b to 2b - 1 before `fc1`.

It was trained on {n_train} of the {size} vectors and labels the other ones with {acc:.2%} accuracy.

## Answering

A JSON file naming the secret subset: `{{"bits": [0, 3, 5]}}` (bit j of a vector is its j-th entry). Solved: the
exact subset. The grade also reports how often the parity of your subset agrees with the model on held-out
vectors (a wrong subset agrees on about half). An agent's `query` tool takes a JSON array of bit vectors and
returns the model's labels.
"""


def card_text(challenge: Challenge) -> str:
    public = challenge.public_as(ParityPublic)
    hidden = _hidden(challenge)
    return CARD.format(bundle=challenge.bundle_dir.name, n=public.n_bits, hidden=hidden, size=2**public.n_bits,
                       n_train=public.n_train, acc=public.heldout_accuracy)


def _hidden(challenge: Challenge) -> int:
    import json

    return int(json.loads((challenge.bundle_dir / "model" / "config.json").read_text())["hidden"])
