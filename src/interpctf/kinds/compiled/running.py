"""Running an answer's program in the sandbox (labelfn's ``map_function``) on sequences and interchange pairs.

The sandbox calls a function on rows of integers and gets one 64-bit integer back, so a fixed wrapper is
appended to the answer's source: a row is ``[variable, start, n, base tokens (padded), source tokens (padded)]``
and the reply packs the output values at positions ``start .. start + k - 1`` as digits in base
``len(output values) + 1`` (digit 0: a value that is not an output value). ``variable`` -1 runs the program on
the base tokens; ``variable`` i runs it on the source tokens, records every ``v(name, value)``, then runs it on
the base tokens with variable i's value taken from the source run (the interchange intervention's prediction).
"""

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

WRAPPER = '''

_ICTF_TOKENS = {tokens!r}
_ICTF_OUT = {outputs!r}
_ICTF_NAMES = {names!r}
_ICTF_BASE, _ICTF_K, _ICTF_LEN, _ICTF_HOOKED = {base}, {k}, {max_len}, {hooked}
_ICTF_LAST = [None, None]


def _interpctf_run(var, start, n, *rest):
    key = (var, n, rest)
    if _ICTF_LAST[0] != key:
        base = [_ICTF_TOKENS[t] for t in rest[:n]]
        if var < 0:
            out = program(base, lambda name, value: value) if _ICTF_HOOKED else program(base)
        else:
            seen = {{}}
            def record(name, value):
                seen[name] = value
                return value
            program([_ICTF_TOKENS[t] for t in rest[_ICTF_LEN:_ICTF_LEN + n]], record)
            target = _ICTF_NAMES[var]
            if target not in seen:
                raise KeyError(f"the program never calls v({{target!r}}, ...)")
            out = program(base, lambda name, value: seen[target] if name == target else value)
        _ICTF_LAST[0], _ICTF_LAST[1] = key, list(out)
    out = _ICTF_LAST[1]
    code = 0
    for j in range(_ICTF_K - 1, -1, -1):
        p = start + j
        digit = _ICTF_OUT.get(out[p], -1) + 1 if p < n else 0
        code = code * _ICTF_BASE + digit
    return code
'''


@dataclass
class Layout:
    """How outputs are packed: ``k`` positions per call in base ``base``."""

    vocab: list[Any]
    output_values: list[Any]
    max_len: int

    @property
    def base(self) -> int:
        return len(self.output_values) + 1

    @property
    def k(self) -> int:
        return max(1, min(self.max_len, int(62 / math.log2(self.base))))

    def source(self, answer_source: str, names: list[str], hooked: bool) -> str:
        return answer_source + WRAPPER.format(
            tokens=list(self.vocab), outputs={v: i for i, v in enumerate(self.output_values)}, names=names,
            base=self.base, k=self.k, max_len=self.max_len, hooked=hooked)

    def rows(self, var: np.ndarray, base: np.ndarray, source: np.ndarray | None = None) -> np.ndarray:
        """One row per (input, chunk of k positions); base/source: [N, n] vocabulary indices."""
        n_in, n = base.shape
        pad = np.zeros((n_in, self.max_len), dtype=np.int64)
        b, s = pad.copy(), pad.copy()
        b[:, :n] = base
        if source is not None:
            s[:, :n] = source
        starts = np.arange(0, n, self.k)
        head = np.stack([np.repeat(var, len(starts)), np.tile(starts, n_in), np.full(n_in * len(starts), n)], 1)
        return np.concatenate([head, np.repeat(b, len(starts), 0), np.repeat(s, len(starts), 0)], 1)

    def unpack(self, values: np.ndarray, ok: np.ndarray, n_in: int, n: int) -> np.ndarray:
        """Replies -> output indices [N, n] (-1: not an output value, or the call failed)."""
        chunks = len(range(0, n, self.k))
        codes = np.where(ok, values, 0).reshape(n_in, chunks).astype(np.int64)
        out = np.empty((n_in, chunks * self.k), dtype=np.int64)
        for j in range(self.k):
            out[:, j::self.k] = codes % self.base - 1
            codes //= self.base
        out = out[:, :n]
        out[~ok.reshape(n_in, chunks).all(1)] = -1
        return out


@dataclass
class Run:
    failure: str | None
    first_error: str | None
    n_exceptions: int


def run_groups(layout: Layout, source: str, names: list[str], hooked: bool,
               groups: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | None]]) -> tuple[list[np.ndarray], Run]:
    """Outputs for groups of same-length inputs ``(var, base, source)`` in one sandbox run: the program's own
    outputs where ``var`` is -1, its predictions under intervention on ``names[var]`` elsewhere."""
    from interpctf.sandbox import Limits, map_function  # imported late: the sandbox starts processes

    parts = [layout.rows(var, base, src) for var, base, src in groups]
    rows = np.concatenate(parts)
    wall = min(600.0, 30.0 + len(rows) / 5000)  # the exhaustive runs are large; grant time in proportion
    run = map_function(layout.source(source, names, hooked), "_interpctf_run", rows, unpack=True,
                       limits=Limits(cpu_seconds=wall, wall_seconds=wall))
    info = Run(run.failure, run.first_error, int(run.n_exceptions))
    outs, at = [], 0
    for part, (_, base, _) in zip(parts, groups):
        if run.failure:
            outs.append(np.full(base.shape, -1))
        else:
            sl = slice(at, at + len(part))
            outs.append(layout.unpack(run.values[sl], run.status[sl] == 0, len(base), base.shape[1]))
        at += len(part)
    return outs, info
