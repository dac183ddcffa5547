"""The agent's query tool for edit bundles: prompts in, the model's five likeliest next words out."""

import json
from pathlib import Path
from typing import Any

from interpctf.errors import InterpctfError
from interpctf.kinds.base import Query
from interpctf.solvers.budget import QueryMeter

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
