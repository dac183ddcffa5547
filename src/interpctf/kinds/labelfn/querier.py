"""The agent's query tool for labelfn bundles: labels and confidence margins for inputs the agent chooses."""

import json
from pathlib import Path
from typing import Any

import numpy as np

from interpctf.errors import InterpctfError
from interpctf.kinds.base import Query
from interpctf.kinds.labelfn.solvers.oracle import Oracle
from interpctf.solvers.budget import QueryMeter


def labelfn_querier(bundle_dir: Path, meter: QueryMeter) -> Query:
    oracle = Oracle(bundle_dir, meter)
    shape = (2,) if oracle.domain.unpack else (8, 8)

    def query(inputs: str) -> Any:
        try:
            array = np.asarray(json.loads(inputs), dtype=np.float64)
        except (ValueError, TypeError):
            raise InterpctfError("inputs must be a JSON array of numbers") from None
        if array.ndim != len(shape) + 1 or array.shape[1:] != shape or len(array) == 0:
            raise InterpctfError(f"inputs must be a non-empty JSON array of items of shape {list(shape)}")
        if oracle.domain.unpack:
            p = oracle.public.p
            if not np.all((array >= 0) & (array < p) & (array == np.round(array))):
                raise InterpctfError(f"pairs are integers 0 <= x, y < {p}")
            array = array.astype(np.int64)
        labels, margins = oracle.query(array)
        return {"labels": labels.tolist(), "margins": np.round(margins, 3).tolist(),
                "queries_left": meter.remaining()}

    return query
