"""Small helpers shared by forging and the baselines: the answer JSON and where each method writes."""

import json


def facts_json(facts: list[dict]) -> bytes:
    return json.dumps({"facts": facts}, indent=1, sort_keys=True).encode()


def edited_layers(method: str) -> list[int]:
    from interpctf.editing.memit import MemitParams
    from interpctf.editing.rome import RomeParams

    return [RomeParams().layer] if method == "rome" else list(MemitParams().layers)
