"""Image rules of the form "label by a band on the distance to a prototype image" (L1 or L2).

The prototype is searched among the public inputs (every real image is a candidate); the band is fitted to the
model's labels on every image queried. A classic hypothesis class for image labelling rules, and only a
hypothesis: the solver reports how well it explains the labels and falls back to a tree when it does not.
"""

from dataclasses import dataclass

import numpy as np

from interpctf.kinds.labelfn.solvers.bands import Band, band_source, fit_band

CHUNK = 64


@dataclass(frozen=True)
class PrototypeRule:
    prototype: np.ndarray
    norm: str  # "l1" or "l2"
    band: Band


def distances(images: np.ndarray, prototypes: np.ndarray, norm: str) -> np.ndarray:
    """(n_prototypes, n_images) distances."""
    flat = images.reshape(len(images), -1)
    out = np.empty((len(prototypes), len(flat)))
    for i in range(0, len(prototypes), CHUNK):
        diff = prototypes[i:i + CHUNK].reshape(-1, 1, flat.shape[1]) - flat[None]
        out[i:i + CHUNK] = np.abs(diff).sum(-1) if norm == "l1" else np.sqrt((diff ** 2).sum(-1))
    return out


def best_prototype(candidates: np.ndarray, images: np.ndarray, labels: np.ndarray,
                   weights: np.ndarray) -> PrototypeRule:
    best = None
    for norm in ("l1", "l2"):
        dist = distances(images, candidates, norm)
        for k in range(len(candidates)):
            band = fit_band(np.round(dist[k], 6), labels, weights)
            if best is None or band.agreement > best.band.agreement:
                best = PrototypeRule(candidates[k], norm, band)
    if best is None:
        raise ValueError("no prototype candidates to fit")
    return best


def prototype_source(rule: PrototypeRule) -> str:
    metric = ("np.abs(image - PROTOTYPE).sum()" if rule.norm == "l1"
              else "np.sqrt(((image - PROTOTYPE) ** 2).sum())")
    return ("import numpy as np\n\n"
            f"PROTOTYPE = np.array({rule.prototype.tolist()!r})\n\n\n"
            "def label(image):\n"
            "    image = np.asarray(image, dtype=np.float64)\n"
            f"    distance = {metric}\n"
            f"    return int({band_source(rule.band, 'distance')})\n")
