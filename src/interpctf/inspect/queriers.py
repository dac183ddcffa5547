"""Black-box query access per kind, as the agent's ``query`` tool offers it: a registry by kind name.

A querier takes the bundle folder and a meter and returns a function from a JSON list of inputs to a JSON-able
result. Kinds without a querier get no query tool (their agents work from the bundle alone).
"""

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from interpctf.errors import InterpctfError
from interpctf.solvers.budget import QueryMeter

Query = Callable[[str], Any]


def labelfn_querier(bundle_dir: Path, meter: QueryMeter) -> Query:
    from interpctf.solvers.labelfn_rules.oracle import Oracle

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
            p = int(oracle.public["p"])
            if not np.all((array >= 0) & (array < p) & (array == np.round(array))):
                raise InterpctfError(f"pairs are integers 0 <= x, y < {p}")
            array = array.astype(np.int64)
        labels, margins = oracle.query(array)
        return {"labels": labels.tolist(), "margins": np.round(margins, 3).tolist(),
                "queries_left": meter.remaining()}

    return query


MAX_PROMPTS = 256  # per call: a prompt is a forward pass, and the tool's reply must stay readable


def edit_querier(bundle_dir: Path, meter: QueryMeter) -> Query:
    """Prompts in, the model's five likeliest next words (with probabilities) out."""
    import torch

    from interpctf.kinds.edit.queries import load_published_model
    from interpctf.nets.tiny_gpt_eval import last_token_logits

    model, tokenizer = load_published_model(Path(bundle_dir) / "model")

    def query(inputs: str) -> Any:
        try:
            prompts = json.loads(inputs)
        except ValueError:
            raise InterpctfError("inputs must be a JSON array of prompt strings") from None
        if not (isinstance(prompts, list) and 0 < len(prompts) <= MAX_PROMPTS
                and all(isinstance(p, str) and p.strip() for p in prompts)):
            raise InterpctfError(f"inputs must be a JSON array of 1 to {MAX_PROMPTS} non-empty prompt strings")
        unknown = sorted({w for p in prompts for w in p.split() if tokenizer.convert_tokens_to_ids(w)
                          == tokenizer.unk_token_id})
        if unknown:
            raise InterpctfError(f"words the model does not know: {', '.join(unknown[:10])} (see world.json)")
        meter.spend(len(prompts))
        probs = torch.softmax(last_token_logits(model, tokenizer, prompts), dim=-1)
        top = probs.topk(5, dim=-1)
        return {"next": [{tokenizer.convert_ids_to_tokens(int(i)): round(float(v), 4)
                          for v, i in zip(values, ids)} for values, ids in zip(top.values, top.indices)],
                "queries_left": meter.remaining()}

    return query


QUERIERS: dict[str, Callable[[Path, QueryMeter], Query]] = {"labelfn": labelfn_querier, "edit": edit_querier}
