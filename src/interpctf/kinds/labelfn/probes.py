"""Probe sets as stored in the key: which inputs, the secret's labels and the model's predictions on them."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from interpctf.kinds.labelfn.domains import Domain
from interpctf.kinds.labelfn.facts import LabelFnPublic, LabelFnSecret
from interpctf.schema import Challenge


def bits(values: np.ndarray) -> str:
    return "".join("1" if v else "0" for v in values)


def unbits(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(), dtype=np.uint8).astype(np.int64) - ord("0")


@dataclass
class Probes:
    """Rows are the union of public and private probe inputs; ``*_rows`` index into them."""

    domain: str
    indices: np.ndarray       # into the domain's inputs
    truth: np.ndarray
    model: np.ndarray
    public_rows: np.ndarray
    private_rows: np.ndarray

    @classmethod
    def build(cls, domain: str, public: np.ndarray, private: np.ndarray, truth_all: np.ndarray,
              model_all: np.ndarray) -> "Probes":
        indices = np.union1d(public, private)
        return cls(domain=domain, indices=indices, truth=truth_all[indices], model=model_all[indices],
                   public_rows=np.searchsorted(indices, public), private_rows=np.searchsorted(indices, private))

    def to_secret(self) -> dict[str, object]:
        """The probes' fields of :class:`LabelFnSecret`."""
        return {"domain": self.domain, "probe_indices": self.indices.tolist(), "probe_truth": bits(self.truth),
                "probe_model": bits(self.model), "public_rows": self.public_rows.tolist(),
                "private_rows": self.private_rows.tolist()}

    @classmethod
    def of(cls, challenge: Challenge) -> "Probes":
        """The probes of a challenge opened with its key."""
        s = challenge.secret_as(LabelFnSecret)
        return cls(domain=s.domain, indices=np.asarray(s.probe_indices, dtype=np.int64),
                   truth=unbits(s.probe_truth), model=unbits(s.probe_model),
                   public_rows=np.asarray(s.public_rows, dtype=np.int64),
                   private_rows=np.asarray(s.private_rows, dtype=np.int64))

    def inputs(self, domain: Domain, public: LabelFnPublic, key_dir: Path | None = None) -> np.ndarray:
        """The probe inputs, in row order; some domains keep them in the key's files (``key_dir``)."""
        return domain.probe_inputs(self.indices, public, key_dir)
