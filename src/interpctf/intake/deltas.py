"""Weight deltas sent as ``.safetensors``, keyed by parameter name: checked against the model's parameters from
the header (names, dtypes, shapes, byte ranges) before any tensor is read, so a file declaring more than the
model holds costs nothing."""

import io
from pathlib import Path

import numpy as np

from interpctf.errors import BadAnswer, BadBundle, one_line
from interpctf.intake.arrays import read_safetensors_header

DELTA_DTYPES = ("F16", "F32", "F64")  # the float dtypes numpy reads


def safetensors_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Names and shapes of a published weights file, from its header only."""
    path = Path(path)
    with open(path, "rb") as fh:
        header = read_safetensors_header(fh, path.stat().st_size, str(path), error=BadBundle)
    return {name: entry.shape for name, entry in header.items()}


def read_deltas(data: bytes, shapes: dict[str, tuple[int, ...]], what: str, max_bytes: int,
                trainable: set[str] | None = None) -> dict[str, np.ndarray]:
    """float32 deltas by name; every fault is one line naming the tensor. ``trainable`` limits the names further
    (e.g. no integer counters)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    if len(data) > max_bytes:
        raise BadAnswer(f"{what} is over the {max_bytes >> 20} MiB limit")
    header = read_safetensors_header(io.BytesIO(data), len(data), what)
    if not header:
        raise BadAnswer(f"{what} holds no tensors")
    allowed = set(shapes) if trainable is None else set(shapes) & trainable
    for name, entry in header.items():
        if name not in allowed:
            example = next(n for n in shapes if n in allowed)
            raise BadAnswer(f"{what}: the model has no parameter {name!r} (names look like {example!r})")
        if entry.shape != shapes[name]:
            raise BadAnswer(f"{what}: {name} has shape {entry.shape}, the model's is {shapes[name]}")
        if entry.dtype not in DELTA_DTYPES:
            raise BadAnswer(f"{what}: {name} must be floating point (F16, F32 or F64), not {entry.dtype}")
    try:
        deltas = load(data)
    except (SafetensorError, ValueError, TypeError, OSError) as exc:
        raise BadAnswer(f"{what} is not a readable safetensors file: {one_line(exc)[:200]}") from None
    for name, array in deltas.items():
        if not np.isfinite(array).all():
            raise BadAnswer(f"{what}: {name} holds NaN or infinite values")
    return {k: np.asarray(v, dtype=np.float32) for k, v in deltas.items()}


__all__ = ["read_deltas", "safetensors_shapes", "DELTA_DTYPES"]
