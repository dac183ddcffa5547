"""A compiled program written back as plain Python: the reference answer of both answer formats.

Each Map and SequenceMap becomes a lookup table over its value set (the lambdas in a RASP program have no
source to copy), each Select a comparison, each SelectorWidth a count and each Aggregate the mean of the
selected values, as tracr's own evaluator defines them. Every intermediate SOp passes through ``v(name,
value)``, the hook a circuit answer's program exposes for interchange interventions; with the default ``v`` the
function is just the program. The result needs only the standard library, so it runs in the sandbox.
"""

from typing import Any

from interpctf.kinds.compiled.rasp_eval import BatchEvaluator

_HELPERS = '''

def _agg(selected, default):
    if not selected:
        return default
    if len(selected) == 1:
        return selected[0]
    if all(isinstance(x, (int, bool, float)) for x in selected):
        return sum(selected) / len(selected)
    return None


def _get(table, x):
    return None if x is None else table.get(x)


def _get2(table, x, y):
    return None if x is None or y is None else table.get((x, y))
'''


def python_source(ev: BatchEvaluator, sink: str, inputs: set[str]) -> str:
    """Source of ``program(tokens, v=...)`` computing ``sink`` exactly as the RASP program does."""
    import networkx as nx

    rasp = ev.rasp
    names: dict[str, str] = {}
    lines = ["def program(tokens, v=lambda name, value: value):", "    n = len(tokens)"]
    tables: list[str] = []
    for node in nx.topological_sort(ev.graph):
        expr = ev.graph.nodes[node]["EXPR"]
        label = expr.label
        var = names[label] = f"x{len(names)}"
        arg = lambda e: names[e.label]  # noqa: E731
        if isinstance(expr, rasp.TokensType):
            code = "list(tokens)"
        elif isinstance(expr, rasp.IndicesType):
            code = "list(range(n))"
        elif isinstance(expr, rasp.LengthType):
            code = "[n] * n"
        elif isinstance(expr, rasp.Map):
            table = {x: expr.f(x) for x in ev.values[expr.inner.label]}
            tables.append(f"T_{var} = {table!r}")
            code = f"[_get(T_{var}, a) for a in {arg(expr.inner)}]"
        elif isinstance(expr, rasp.SequenceMap):
            table2 = {(x, y): expr.f(x, y) for x in ev.values[expr.fst.label] for y in ev.values[expr.snd.label]}
            tables.append(f"T_{var} = {table2!r}")
            code = f"[_get2(T_{var}, a, b) for a, b in zip({arg(expr.fst)}, {arg(expr.snd)})]"
        elif isinstance(expr, rasp.Full):
            code = f"[{expr.fill!r}] * n"
        elif isinstance(expr, rasp.Select):
            op = expr.predicate.value
            test = op if op in ("True", "False") else f"k is not None and q is not None and k {op} q"
            code = f"[[{test} for k in {arg(expr.keys)}] for q in {arg(expr.queries)}]"
        elif isinstance(expr, rasp.SelectorAnd):
            code = f"[[a and b for a, b in zip(r, s)] for r, s in zip({arg(expr.fst)}, {arg(expr.snd)})]"
        elif isinstance(expr, rasp.SelectorOr):
            code = f"[[a or b for a, b in zip(r, s)] for r, s in zip({arg(expr.fst)}, {arg(expr.snd)})]"
        elif isinstance(expr, rasp.SelectorNot):
            code = f"[[not a for a in r] for r in {arg(expr.inner)}]"
        elif isinstance(expr, rasp.SelectorWidth):
            code = f"[sum(r) for r in {arg(expr.selector)}]"
        elif isinstance(expr, rasp.Aggregate):
            code = (f"[_agg([x for s, x in zip(r, {arg(expr.sop)}) if s], {expr.default!r}) "
                    f"for r in {arg(expr.selector)}]")
        else:
            raise ValueError(f"{type(expr).__name__} cannot be written as Python")
        if isinstance(expr, rasp.SOp) and label not in inputs:
            code = f"v({label!r}, {code})"
        lines.append(f"    {var} = {code}")
    lines.append(f"    return {names[sink]}")
    return "\n".join(["# The compiled RASP program, written out in Python by the forge.", *tables, _HELPERS,
                      "", *lines]) + "\n"


def run_source(source: str) -> Any:
    """The ``program`` function of a source this module wrote (trusted: the forge made it)."""
    namespace: dict[str, Any] = {"__name__": "interpctf_reference"}
    exec(compile(source, "<reference>", "exec"), namespace)
    return namespace["program"]
