"""``--option KEY=VALUE`` on the command line: a task's own options (editability: ``n_subjects``, ``n_edits``,
``stats_docs``), parsed here and validated by the task's options model (unknown keys are refused there)."""

from __future__ import annotations

from typing import Any

import yaml

from interpctf.errors import InterpctfError


def parse_task_options(pairs: list[str]) -> dict[str, Any]:
    """``["n_edits=10"]`` -> ``{"n_edits": 10}``; a value is read as YAML (numbers, booleans, strings). Pure."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InterpctfError(f"--option: expected KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = yaml.safe_load(value) if value.strip() else value
        except yaml.YAMLError:
            raise InterpctfError(f"--option {key.strip()}: {value!r} is not a value") from None
    return out
