"""Interchange interventions with torch forward hooks, one forward pass for base and source together.

The base and source inputs run as one batch ``[base; source]``. At the claimed site, a hook replaces the base
half's activation ``a`` (the part ``index`` selects) with ``a + (s - a) P``: ``s`` the source half's activation
there, P the orthogonal projection onto the claimed subspace (the identity without one). Rows of a batch never
interact, so the source half computes exactly its own run and the base half continues from the patched site:
one forward instead of a source run, a capture and a base run.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np
import torch


def projector(basis: list[list[float]] | np.ndarray | None) -> torch.Tensor | None:
    """The orthogonal projection onto the rows' span (None: no subspace, the whole selection)."""
    if basis is None:
        return None
    q, _ = np.linalg.qr(np.asarray(basis, dtype=np.float64).T)  # orthonormal columns spanning the rows
    return torch.as_tensor(q @ q.T, dtype=torch.float32)


@contextmanager
def hooked(module: torch.nn.Module, fn: Callable[..., Any], pre: bool = False) -> Iterator[None]:
    handle = module.register_forward_pre_hook(fn) if pre else module.register_forward_hook(fn)
    try:
        yield
    finally:
        handle.remove()


@dataclass
class Patch:
    """Where to intervene: a module's output (or, ``pre``, its first input), the part ``index`` selects after the
    batch dimension (the selection's last dimension is what ``proj`` acts on)."""

    module: torch.nn.Module
    index: tuple[Any, ...]
    proj: torch.Tensor | None = None
    pre: bool = False

    def apply(self, act: torch.Tensor) -> torch.Tensor:
        n = act.shape[0] // 2
        where = (slice(None), *self.index)
        sel = act[where]
        delta = sel[n:] - sel[:n]
        if self.proj is not None:
            delta = delta @ self.proj
        out = act.clone()
        out[(slice(0, n), *self.index)] = sel[:n] + delta
        return out


@torch.inference_mode()
def interchange(forward: Callable[[torch.Tensor], torch.Tensor], base: torch.Tensor, source: torch.Tensor,
                patch: Patch) -> torch.Tensor:
    """``forward``'s output on ``base`` with the site patched from ``source`` (both model inputs, same shape)."""
    def on_output(m: torch.nn.Module, inputs: object, out: Any) -> Any:
        if isinstance(out, tuple):  # modules that return (hidden, ...) patch the hidden part
            return (patch.apply(out[0]), *out[1:])
        return patch.apply(out)

    def on_input(m: torch.nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...]:
        return (patch.apply(args[0]), *args[1:])

    with hooked(patch.module, on_input if patch.pre else on_output, pre=patch.pre):
        out = forward(torch.cat([base, source]))
    return out[: len(base)]


@dataclass
class Tally:
    """Interchange results of one variable: right (the output became the prediction), informative (the
    prediction differs from the base output, so the pair tests something) and total pairs."""

    right: int = 0
    informative: int = 0
    total: int = 0

    def add(self, got: np.ndarray, want: np.ndarray, plain: np.ndarray) -> None:
        """Outputs per pair, rows [N, ...]; a negative prediction (the program failed) is never right."""
        got, want, plain = (a.reshape(len(a), -1) for a in (got, want, plain))
        self.right += int(np.sum((got == want).all(1) & (want >= 0).all(1)))
        self.informative += int(np.sum((want != plain).any(1)))
        self.total += len(got)

    def report(self) -> dict[str, Any]:
        return {"iia": round(self.right / self.total, 6) if self.total else 0.0, "informative": self.informative,
                "pairs": self.total}
