"""Black-box access to a labelfn model: labels and confidence margins for inputs the solver chooses, metered."""

from pathlib import Path

import numpy as np

from interpctf.bundle import open_challenge
from interpctf.kinds.labelfn.domains import DOMAINS
from interpctf.kinds.labelfn.facts import LabelFnPublic
from interpctf.solvers.budget import QueryMeter


class Oracle:
    """Queries the bundle's model; each input queried counts against the budget's ``max_queries``."""

    def __init__(self, bundle_dir: Path, meter: QueryMeter):
        self.public = open_challenge(bundle_dir).public_as(LabelFnPublic)
        self.domain = DOMAINS[self.public.domain]
        self.model = self.domain.load(Path(bundle_dir) / "model")
        self.meter = meter

    def query(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(labels, margins): margin = logit(1) - logit(0), near zero where the model is unsure."""
        import torch

        from interpctf.nets.threads import single_thread

        self.meter.spend(len(inputs))
        with torch.no_grad(), single_thread():
            if self.domain.unpack:
                from interpctf.nets import pair_transformer

                logits = pair_transformer.label_logits(self.model, pair_transformer.sequences(inputs, self.public.p))
            else:
                logits = self.model(torch.tensor(np.asarray(inputs), dtype=torch.float32))
        margins = (logits[:, 1] - logits[:, 0]).numpy().astype(np.float64)
        return (margins > 0).astype(np.int64), margins


def confidence_weights(margins: np.ndarray) -> np.ndarray:
    """Weight each queried label by how sure the model is: its errors sit mostly where its margin is small."""
    scale = float(np.median(np.abs(margins))) or 1.0
    return np.tanh(np.abs(margins) / scale)
