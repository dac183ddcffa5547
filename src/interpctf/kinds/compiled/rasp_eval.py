"""RASP evaluated on a whole batch of same-length inputs at once, with numpy.

``rasp.evaluate`` walks Python lists one input at a time (about a millisecond each); checking a model on every
input up to the maximum length (~490k for vocabulary 5 and length 8) needs the batch form. Every SOp value is an
index array [batch, n] into that SOp's value set as Tracr inferred it (-1: None, e.g. an Aggregate that selects
nothing); each Map, SequenceMap and predicate is tabulated once over its value sets, so the batch work is pure
indexing. The forge also compares this evaluator with ``rasp.evaluate`` on a sample, so the two cannot drift.
"""

from typing import Any

import numpy as np

from interpctf.errors import BadRecipe


def ordered(values: Any) -> list[Any]:
    """A value set as a list in a fixed order (numbers numerically, then the rest by repr)."""
    numbers = sorted(v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool))
    rest = sorted((v for v in values if not isinstance(v, (int, float)) or isinstance(v, bool)), key=repr)
    return numbers + rest


class BatchEvaluator:
    """Evaluates every SOp of a compiled program's graph; ``values[label]`` lists each SOp's value set."""

    def __init__(self, graph: Any, vocab: list[Any]):
        from tracr.rasp import rasp

        self.rasp = rasp
        self.graph = graph
        self.exprs = {graph.nodes[n]["EXPR"].label: graph.nodes[n]["EXPR"] for n in graph.nodes}
        self.values = {label: ordered(graph.nodes[n].get("VALUE_SET", ()))
                       for n in graph.nodes for label in [graph.nodes[n]["EXPR"].label]}
        self.values[rasp.tokens.label] = list(vocab)
        self.index = {label: {v: i for i, v in enumerate(vs)} for label, vs in self.values.items()}

    def _idx(self, label: str, value: Any) -> int:
        if value is None:
            return -1
        return self.index[label].get(value, -1)

    def _table1(self, expr: Any, f: Any, inner: str) -> np.ndarray:
        return np.array([self._idx(expr.label, f(v)) for v in self.values[inner]] + [-1], dtype=np.int64)

    def run(self, tokens: np.ndarray, overrides: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """tokens: [batch, n] indices into the vocabulary -> index arrays of every SOp (selectors: bool).

        ``overrides`` fixes some SOps' values (an interchange intervention: a variable's value taken from another
        run); everything downstream is computed from them."""
        cache: dict[str, np.ndarray] = dict(overrides or {})
        for label in self.exprs:
            self._eval(label, tokens, cache)
        return cache

    def _eval(self, label: str, tokens: np.ndarray, cache: dict[str, np.ndarray]) -> np.ndarray:
        if label in cache:
            return cache[label]
        rasp, expr = self.rasp, self.exprs[label]
        b, n = tokens.shape
        ev = lambda child: self._eval(child.label, tokens, cache)  # noqa: E731
        if isinstance(expr, rasp.TokensType):
            out = tokens
        elif isinstance(expr, rasp.IndicesType):
            out = np.broadcast_to(np.array([self._idx(label, i) for i in range(n)]), (b, n))
        elif isinstance(expr, rasp.LengthType):
            out = np.full((b, n), self._idx(label, n))
        elif isinstance(expr, rasp.Map):
            out = self._table1(expr, expr.f, expr.inner.label)[ev(expr.inner)]
        elif isinstance(expr, rasp.SequenceMap):
            fst, snd = self.values[expr.fst.label], self.values[expr.snd.label]
            table = np.full((len(fst) + 1, len(snd) + 1), -1, dtype=np.int64)
            for i, x in enumerate(fst):
                for j, y in enumerate(snd):
                    table[i, j] = self._idx(label, expr.f(x, y))
            out = table[ev(expr.fst), ev(expr.snd)]
        elif isinstance(expr, rasp.Full):
            out = np.full((b, n), self._idx(label, expr.fill))
        elif isinstance(expr, rasp.Select):
            keys, queries = self.values[expr.keys.label], self.values[expr.queries.label]
            table = np.zeros((len(queries) + 1, len(keys) + 1), dtype=bool)
            for i, q in enumerate(queries):
                for j, k in enumerate(keys):
                    table[i, j] = bool(expr.predicate(k, q))
            out = table[ev(expr.queries)[:, :, None], ev(expr.keys)[:, None, :]]  # [batch, query, key]
        elif isinstance(expr, rasp.SelectorAnd):
            out = ev(expr.fst) & ev(expr.snd)
        elif isinstance(expr, rasp.SelectorOr):
            out = ev(expr.fst) | ev(expr.snd)
        elif isinstance(expr, rasp.SelectorNot):
            out = ~ev(expr.inner)
        elif isinstance(expr, rasp.SelectorWidth):
            widths = ev(expr.selector).sum(-1)
            table = np.array([self._idx(label, w) for w in range(n + 1)], dtype=np.int64)
            out = table[widths]
        elif isinstance(expr, rasp.Aggregate):
            out = self._aggregate(expr, ev(expr.selector), ev(expr.sop))
        else:
            raise BadRecipe(f"program: {type(expr).__name__} ({label}) is not supported by the exhaustive check")
        cache[label] = out
        return out

    def _aggregate(self, expr: Any, selected: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Mean of the selected values (one value when one is selected), as tracr's evaluator defines it."""
        source = self.values[expr.sop.label]
        numeric = all(isinstance(v, (int, float)) for v in source)
        count = selected.sum(-1)
        if numeric:
            vals = np.array([float(v) for v in source] + [np.nan])[values]  # None -> nan
            total = np.einsum("bqk,bk->bq", selected, np.nan_to_num(vals))
            bad = np.einsum("bqk,bk->bq", selected, np.isnan(vals).astype(float)) > 0
            mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
            mean[bad] = np.nan
            targets = self.values[expr.label]
            out = np.full(mean.shape, -1, dtype=np.int64)
            for i, v in enumerate(targets):
                if isinstance(v, (int, float)):
                    out[np.isclose(mean, float(v), rtol=0, atol=1e-9)] = i
        else:  # categorical values aggregate only when exactly one is selected
            first = np.argmax(selected, -1)
            picked = np.take_along_axis(values, first, 1)
            mapped = np.array([self._idx(expr.label, v) for v in source] + [-1], dtype=np.int64)[picked]
            out = np.where(count == 1, mapped, -1)
        default = self._idx(expr.label, expr.default) if expr.default is not None else -1
        return np.where(count == 0, default, out)

    def decode(self, label: str, idx: np.ndarray) -> list[list[Any]]:
        vs = self.values[label]
        return [[vs[i] if i >= 0 else None for i in row] for row in idx.tolist()]
