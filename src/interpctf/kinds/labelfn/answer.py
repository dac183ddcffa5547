"""The labelfn answer: a Python file defining ``label``; checked statically here, run only in the sandbox."""

import ast
from typing import Literal

from interpctf.errors import BadAnswer
from interpctf.intake.source import parse_python
from interpctf.kinds.base import Answer
from interpctf.schema import AnswerFile

MAX_SOURCE_BYTES = 1 << 20  # the sandbox refuses larger sources too


class ProgramAnswer(Answer):
    format: Literal["program"] = "program"
    source: str




def _arity_ok(node: ast.FunctionDef | ast.Lambda, n: int) -> bool:
    args = node.args
    positional = len(args.posonlyargs) + len(args.args)
    required = positional - len(args.defaults)
    return args.vararg is not None and required <= n or required <= n <= positional


def parse_program(answer: AnswerFile, n_args: int) -> ProgramAnswer:
    """Refuse, with one line, what can never be graded: not UTF-8, too big, a syntax error, no usable label."""
    name = answer.filename or "answer.py"
    source, tree = parse_python(answer.data, name, MAX_SOURCE_BYTES, "submit a Python file defining label(...)")
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "label"]
    assigned = any(isinstance(n, (ast.Assign, ast.AnnAssign, ast.ImportFrom, ast.Import)) and "label" in
                   {getattr(t, "id", None) or getattr(t, "asname", None) or getattr(t, "name", None)
                    for t in (getattr(n, "targets", None) or [getattr(n, "target", None)] or [])
                    + list(getattr(n, "names", []))}
                   for n in tree.body)
    if not defs and not assigned:
        raise BadAnswer(f"{name} defines no top-level function 'label'; write def label(...) -> int")
    if defs:
        if isinstance(defs[-1], ast.AsyncFunctionDef):
            raise BadAnswer(f"{name}: label must be a plain function, not async")
        if not _arity_ok(defs[-1], n_args):
            raise BadAnswer(f"{name}: label must take {n_args} positional argument{'s' if n_args > 1 else ''}")
    return ProgramAnswer(source=source)
