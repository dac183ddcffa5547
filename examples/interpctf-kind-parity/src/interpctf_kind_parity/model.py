"""The ``parity-mlp`` model family: n bits -> hidden ReLU layer -> 2 logits; saved as config.json + safetensors.

``load(model_dir)`` is what ``interpctf.load(bundle)`` calls for this family (the kind declares it in
``ParityKind.model_families``).
"""

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

FAMILY = "parity-mlp"


class ParityMLP(torch.nn.Module):
    """Reads bits as 0/1 floats, shape (N, n_bits); centres them to -1/+1 first (parity is symmetric in 0/1)."""

    def __init__(self, n_bits: int, hidden: int):
        super().__init__()
        self.n_bits, self.hidden = n_bits, hidden
        self.fc1 = torch.nn.Linear(n_bits, hidden)
        self.fc2 = torch.nn.Linear(hidden, 2)

    def forward(self, bits: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(bits.float() * 2 - 1)))


def all_vectors(n_bits: int) -> np.ndarray:
    """Every bit vector, (2**n_bits, n_bits) uint8; row i has bit j = (i >> j) & 1."""
    return ((np.arange(2**n_bits)[:, None] >> np.arange(n_bits)) & 1).astype(np.uint8)


def train(x: np.ndarray, y: np.ndarray, hidden: int, steps: int, lr: float, weight_decay: float,
          seed: int) -> ParityMLP:
    """Full-batch AdamW on (x, y), single-threaded (the cores are shared) and seeded."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        model = ParityMLP(x.shape[1], hidden)
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
        xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.long)
        for _ in range(steps):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xt), yt).backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval()


@torch.no_grad()
def predict(model: ParityMLP, x: np.ndarray) -> np.ndarray:
    return model(torch.tensor(np.asarray(x), dtype=torch.float32)).argmax(-1).numpy().astype(np.uint8)


def save(model: ParityMLP, model_dir: Path) -> None:
    model_dir.mkdir(parents=True, exist_ok=True)
    config = {"interpctf_family": FAMILY, "n_bits": model.n_bits, "hidden": model.hidden}
    (model_dir / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(model_dir / "model.safetensors"))


def load(model_dir: Path) -> ParityMLP:
    config = json.loads((Path(model_dir) / "config.json").read_text())
    model = ParityMLP(int(config["n_bits"]), int(config["hidden"]))
    model.load_state_dict(load_file(str(Path(model_dir) / "model.safetensors")))
    return model.eval()
