"""The labelfn part of the challenge card, and the example files shipped in the bundle."""

from pathlib import Path

import numpy as np

from interpctf.kinds.labelfn.domains import Domain
from interpctf.kinds.labelfn.facts import LabelFnPublic
from interpctf.schema import Challenge

PAIRS_LOADING = """## Loading the model (offline)

```python
import interpctf, torch
model = interpctf.load("{bundle}")          # a transformers GPT2LMHeadModel, eval mode
tokens = torch.tensor([[3, 50, {p}]])        # [x, y, SEP]; SEP = {p}
label = model(input_ids=tokens).logits[0, -1, :2].argmax().item()
```

With transformers alone: `GPT2LMHeadModel.from_pretrained("{bundle}/model", local_files_only=True)`.
With TransformerLens: `TransformerBridge.boot_transformers("{bundle}/model")` — the model is a one-layer GPT-2
(d_model {d_model}, {n_heads} heads, d_mlp {d_mlp}, ReLU), so every hook name of GPT-2 applies.

It reached {acc:.2%} accuracy on the half of the pairs it never saw.

{norm}

## A circuit answer (optional): how the model computes the label

Besides `label(x, y)`, you may submit `circuit.yaml` (or `.json`): a program `label(x, y, v)` that passes each
intermediate variable through `v(name, value)`, and for each variable the model site that carries it. It is
graded by agreement with the secret rule (as a program) *and* by interchange intervention accuracy (IIA)
against this model: for 2,000 random base/source pairs the site is patched from the source run into the base
run, and the model's label must become what your program gives on the base with that variable taken from the
source. The grade shows `behaviour_solved` and `mechanism_solved` (every variable's IIA >= 0.95) separately.

```yaml
program: |
  def label(x, y, v):
      s = v("s", (x + y) % {p})
      return v("out", int(s < {half}))
variables:
  s: {{component: mlp, layer: 0, neurons: [3, 17, 40]}}   # or basis: [[...d_mlp numbers...], ...]
  out: {{component: resid, layer: {last}}}                  # the residual stream the label is read from
```

Sites: `embed` at `position: x` or `y` (width {d_model}); `attn` with `layer` and `head` (the head's output
before the output projection, width {d_head}); `mlp` with `layer` (the hidden units after the ReLU, width
{d_mlp}: all, the `neurons` listed, or a `basis` of rows spanning a subspace); `resid` with `layer` (the
residual stream after that block, width {d_model}). `attn`, `mlp` and `resid` sit at `position: sep` (where the
label is read) unless you name `x` or `y`.
"""

# The 2023 model had no LayerNorm; GPT-2's layout always has three, so the card says which kind this one has.
WITH_LAYER_NORM = ("Unlike the 2023 model, which had no LayerNorm, this one is a standard GPT-2 block: `ln_1`, `ln_2` "
                   "and `ln_f` normalize the residual stream (learned gain and bias, epsilon 1e-5).")
CENTERING_ONLY = ("Like the 2023 model, this one normalizes nothing: GPT-2's layout always has `ln_1`, `ln_2` and "
                  "`ln_f`, and here each has epsilon 1e12 and gain 1e6, so each computes `x - mean(x)` to float32 "
                  "precision (a fixed linear map; fold it into the weights that read the residual stream for a "
                  "model without LayerNorm).")

DIGITS_LOADING = """## Loading the model (offline)

```python
import interpctf, torch
from sklearn.datasets import load_digits
model = interpctf.load("{bundle}")          # a torch.nn.Module (interpctf.nets.digits_cnn.DigitsCNN)
images = torch.tensor(load_digits().images)  # (N, 8, 8), values 0..16, exactly what label(image) receives
labels = model(images).argmax(-1)
```

Files: `model/config.json` (architecture: conv 3x3 1->{channels}, conv 3x3 {channels}->{channels2}, flatten,
linear {flat}->{hidden}, linear {hidden}->32, linear 32->2, ReLU between; inputs divided by 16) and
`model/model.safetensors` (tensor names `conv1.weight`, `conv2.weight`, `fc1.weight`, … as in
`interpctf.nets.digits_cnn.DigitsCNN`).

It reached {acc:.2%} accuracy on held-out digit images.
"""

MNIST_LOADING = """## Loading the model (offline)

```python
import interpctf, numpy as np, torch
model = interpctf.load("{bundle}")          # a torch.nn.Module (interpctf.nets.mnist_cnn.MnistCNN)
images = np.load("{bundle}/examples/mnist_sample.npy")   # (N, 28, 28) uint8: MNIST training images
labels = model(torch.tensor(images, dtype=torch.float32)).argmax(-1)
```

`label(image)` receives a float array of shape (28, 28) holding MNIST's pixel values 0..255, and so does the
model (it scales by 1/255 itself). Any copy of MNIST works as queries; `examples/mnist_sample.npy` holds
{sample} of its training images for convenience.

Files: `model/config.json` and `model/model.safetensors`: conv 3x3 stride 2 (1->{channels}), conv 3x3 stride 2
({channels}->{channels}), linear {flat}->{hidden}, linear {hidden}->16, linear 16->2, ReLU between; {params:,}
parameters (the 2023 CNN challenge's model had 81,850; its layers were not published, these are interpctf's).

It was trained on MNIST's {n_train:,} training images (labelled by the secret rule, with rule-labelled
augmentations) and reached {acc:.2%} accuracy on the {n_test:,} test images (2023: 95.58%).

{secret}
"""

SECRET_IN_DATA = {
    True: "**The rule's secret image is one of MNIST's own images.** So the challenge can be solved without "
          "opening the model: search the data set for the image whose L1 band best explains the model's answers. "
          "In 2023 a hint that showed the secret image let one participant solve it by playing with the model "
          "alone, which the organizer regretted.",
    False: "The rule's secret image is not one of MNIST's images, so searching the data set for it finds nothing.",
    None: "The rule names no 28x28 secret image.",
}

TEMPLATES = {
    "pairs": "import numpy as np\n\n\ndef label(x: int, y: int) -> int:\n    \"\"\"Return 0 or 1.\"\"\"\n"
             "    return int(x < y)\n",
    "digits": "import numpy as np\n\n\ndef label(image: np.ndarray) -> int:\n    \"\"\"image: 8x8 floats, 0..16. "
              "Return 0 or 1.\"\"\"\n    return int(image.sum() > 300)\n",
    "mnist": "import numpy as np\n\n\ndef label(image: np.ndarray) -> int:\n    \"\"\"image: 28x28 floats, 0..255. "
             "Return 0 or 1.\"\"\"\n    return int(image.sum() > 25000)\n",
}


def write_examples(examples_dir: Path, domain: Domain) -> None:
    (examples_dir / "answer_template.py").write_text(TEMPLATES[domain.name])


def card_text(challenge: Challenge) -> str:
    import json

    public = challenge.public_as(LabelFnPublic)
    config = json.loads((challenge.bundle_dir / "model" / "config.json").read_text())
    bundle = challenge.manifest.id
    if public.domain == "pairs":
        norm = CENTERING_ONLY if config.get("interpctf_layer_norm") is False else WITH_LAYER_NORM
        return PAIRS_LOADING.format(bundle=bundle, p=public.p, d_model=config["n_embd"],
                                    n_heads=config["n_head"], d_mlp=config["n_inner"],
                                    acc=public.heldout_accuracy, norm=norm, half=public.p // 2,
                                    last=config["n_layer"] - 1, d_head=config["n_embd"] // config["n_head"])
    if public.domain == "mnist":
        c, h = config["channels"], config["hidden"]
        sample = len(np.load(challenge.bundle_dir / "examples" / "mnist_sample.npy", mmap_mode="r"))
        return MNIST_LOADING.format(bundle=bundle, channels=c, flat=c * 49, hidden=h, sample=f"{sample:,}",
                                    params=10 * c + (9 * c + 1) * c + (49 * c + 1) * h + (h + 1) * 16 + 34,
                                    n_train=public.n_train_images, n_test=public.n_test_images,
                                    acc=public.heldout_accuracy,
                                    secret=SECRET_IN_DATA[public.secret_image_in_dataset])
    channels, hidden = config["channels"], config["hidden"]
    return DIGITS_LOADING.format(bundle=bundle, channels=channels, channels2=2 * channels,
                                 flat=2 * channels * 64, hidden=hidden, acc=public.heldout_accuracy)
