"""``sae-digits``: a hidden layer of a small classifier trained on scikit-learn's bundled digits (8x8 images).

The classifier (64 -> 64 -> 64 -> 10, ReLU) is trained once, deterministically, and cached under the runs dir. The SAE
reads the first hidden layer ``h1``; a transcoder maps ``h1`` to ``h2``, the output of the second layer (the MLP
block). Splicing the SAE into the model tells whether the reconstruction keeps what the model uses.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from interpctf.lab import metrics as M
from interpctf.lab.config import SAEConfig
from interpctf.lab.tasks.base import TaskBudget, EvalSplit, Task, TaskData

HIDDEN = 64
_CLASSIFIER = {"hidden": HIDDEN, "epochs": 400, "lr": 3e-3, "weight_decay": 1e-4, "seed": 0, "split_seed": 0}
PROBE_K = 10
PURITY_TOP_N = 20


class DigitsMLP(nn.Module):
    def __init__(self, hidden: int = HIDDEN):
        super().__init__()
        self.fc1, self.fc2, self.out = nn.Linear(64, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 10)

    def h1(self, x):
        return torch.relu(self.fc1(x))

    def mlp(self, h1):  # the block a transcoder replaces
        return torch.relu(self.fc2(h1))

    def forward(self, x):
        return self.out(self.mlp(self.h1(x)))


def _splits() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    seed = _CLASSIFIER["split_seed"]
    x_tr, x_rest, y_tr, y_rest = train_test_split(x, y, test_size=0.4, stratify=y, random_state=seed)
    x_val, x_te, y_val, y_te = train_test_split(x_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=seed)
    return {name: (torch.from_numpy(a), torch.from_numpy(b))
            for name, a, b in (("train", x_tr, y_tr), ("val", x_val, y_val), ("test", x_te, y_te))}


def load_classifier(cache_dir: Path, splits) -> DigitsMLP:
    """Train the classifier, or load it from the cache keyed by its hyper-parameters."""
    key = hashlib.sha256(json.dumps(_CLASSIFIER, sort_keys=True).encode()).hexdigest()[:12]
    path = Path(cache_dir) / f"digits_mlp_{key}.safetensors"
    model = DigitsMLP(_CLASSIFIER["hidden"])
    if path.exists():
        model.load_state_dict(load_file(path))
        return model.eval()
    torch.manual_seed(_CLASSIFIER["seed"])
    model = DigitsMLP(_CLASSIFIER["hidden"])
    opt = torch.optim.AdamW(model.parameters(), lr=_CLASSIFIER["lr"], weight_decay=_CLASSIFIER["weight_decay"])
    x, y = splits["train"]
    for _ in range(_CLASSIFIER["epochs"]):  # full batch: 1,078 images
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp))
    tmp.replace(path)  # atomic, so parallel sweep workers never read half a file
    return model.eval()


class DigitsData(TaskData):
    def __init__(self, cache_dir: Path, transcoder: bool):
        self.transcoder = transcoder
        self.images = _splits()
        self.model = load_classifier(cache_dir, self.images)
        self.d_in = self.d_out = HIDDEN
        self._acts = {name: self._activations(x) for name, (x, _) in self.images.items()}

    @torch.no_grad()
    def _activations(self, images):
        h1 = self.model.h1(images)
        return h1, (self.model.mlp(h1) if self.transcoder else h1)

    def sample(self, batch_size, rng):
        x, y = self._acts["train"]
        idx = torch.from_numpy(rng.integers(0, x.shape[0], batch_size))
        return x[idx], y[idx]

    def split(self, name):
        x, y = self._acts[name]
        return EvalSplit(x, y, {"labels": self.images[name][1]})

    @torch.no_grad()
    def logits_with(self, name: str, replacement: torch.Tensor | None, zero: bool = False) -> torch.Tensor:
        """Logits with the SAE's layer replaced (``replacement``), zero-ablated, or untouched."""
        x = self._acts[name][0]
        if self.transcoder:
            h2 = self.model.mlp(x) if replacement is None else replacement
            h2 = torch.zeros_like(h2) if zero else h2
            return self.model.out(h2)
        h1 = x if replacement is None else replacement
        h1 = torch.zeros_like(h1) if zero else h1
        return self.model.out(self.model.mlp(h1))


def _ce_and_acc(logits, labels):
    return float(nn.functional.cross_entropy(logits, labels)), float((logits.argmax(-1) == labels).float().mean())


class DigitsTask(Task):
    name = "sae-digits"
    problems = ('lf-features-on-digits', 'sae-transcoders')
    instructions = """
A small vision model. The activations are the first hidden layer (64 units) of a 64-64-64-10 ReLU classifier trained
on scikit-learn's 8x8 digits. Train an SAE (or, with transcoder: true, a transcoder from that layer to the next).
Score: CE loss recovered with the SAE spliced into the model, (CE_zero_ablation - CE_sae)/(CE_zero_ablation -
CE_clean), 0 at the baseline config and 1 at the reference config; width is capped at 512 and L0 must stay at or
below 3. Also reported: accuracy recovered, L0, explained variance, dead fraction, class purity of each latent's
top-20 activations, and the accuracy of a logistic probe that reads only the 10 most class-selective latents.
"""
    budget = TaskBudget(max_steps=6000, max_seconds=120, max_width=512, max_l0=3)
    score_metric = "ce_loss_recovered"
    metric_names = ("ce_loss_recovered", "accuracy_recovered", "l0", "explained_variance", "dead_fraction",
                    "class_purity", "sparse_probe_accuracy")
    default_config = {"architecture": "topk", "width": 128, "k": 3, "lr": 3e-3, "steps": 1000, "batch_size": 256}
    # Baseline: one latent per image, briefly trained. Reference: the best of a 12-run grid at the bar (k=3; width
    # 128/256, 500/1000/2000 steps, lr 1e-3/3e-3). Longer training overfits the 1,078 training images.
    baseline_config = {"architecture": "topk", "width": 256, "k": 1, "lr": 3e-3, "steps": 300, "batch_size": 256}
    reference_config = {"architecture": "topk", "width": 256, "k": 3, "lr": 1e-3, "steps": 1000, "batch_size": 256}
    anchors = (0.8523, 0.9956)  # measured by `interpctf lab calibrate sae-digits`

    def load_data(self, config: SAEConfig, cache_dir: Path) -> DigitsData:
        return DigitsData(cache_dir, config.transcoder)

    def code_inputs(self, split: str) -> list[str]:
        return [split, "train"]  # evaluate also encodes the training inputs (for the sparse probe)

    def evaluate(self, sae, data: DigitsData, split: str):
        s = data.split(split)
        labels = s.extras["labels"]
        with torch.no_grad():
            codes = sae.encode(s.x)
            y_hat = sae.decode(codes)
            train_codes = sae.encode(data.split("train").x)
        clean = _ce_and_acc(data.logits_with(split, None), labels)
        ablated = _ce_and_acc(data.logits_with(split, None, zero=True), labels)
        patched = _ce_and_acc(data.logits_with(split, y_hat), labels)
        metrics = {
            "ce_loss_recovered": M.loss_recovered(clean[0], ablated[0], patched[0]),
            "accuracy_recovered": M.loss_recovered(clean[1], ablated[1], patched[1]),
            "l0": M.l0(codes),
            "explained_variance": M.explained_variance(s.y, y_hat),
            "dead_fraction": M.dead_fraction(codes),
            "class_purity": M.class_purity(codes, labels.numpy(), PURITY_TOP_N),
            "sparse_probe_accuracy": M.sparse_probe_accuracy(train_codes, data.split("train").extras["labels"],
                                                             codes, labels, PROBE_K),
            "clean_accuracy": clean[1],
        }
        return metrics, {"firing_counts": M.firing_counts(codes)}
