"""The agent's query tool for parity bundles: bit vectors in, the model's labels out, one query per vector."""

import json
from pathlib import Path
from typing import Any

import numpy as np

from interpctf.errors import InterpctfError
from interpctf.kinds.base import Query
from interpctf.solvers.budget import QueryMeter
from interpctf_kind_parity.model import load, predict

MAX_VECTORS = 4096  # per call: all vectors of 12 bits; the reply must stay readable


def parity_querier(bundle_dir: Path, meter: QueryMeter) -> Query:
    model = load(Path(bundle_dir) / "model")
    n_bits = model.n_bits
    usage = f"inputs must be a JSON array of 1 to {MAX_VECTORS} bit vectors, each a list of {n_bits} 0s and 1s"

    def query(inputs: str) -> Any:
        try:
            vectors = json.loads(inputs)
        except ValueError:
            raise InterpctfError(usage) from None
        if not (isinstance(vectors, list) and 0 < len(vectors) <= MAX_VECTORS and all(
                isinstance(v, list) and len(v) == n_bits and all(b in (0, 1) and not isinstance(b, float)
                                                                for b in v) for v in vectors)):
            raise InterpctfError(usage)
        meter.spend(len(vectors))
        labels = predict(model, np.asarray(vectors, dtype=np.uint8))
        return {"labels": labels.tolist(), "queries_left": meter.remaining()}

    return query
