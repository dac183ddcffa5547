"""The compiled kind's answers: a ``program`` (Python ``program(tokens)``) or a ``circuit`` (YAML or JSON: a
program with ``v(name, value)`` hooks and, per variable, the model site that computes it)."""

import ast
from typing import Annotated, Literal

from pydantic import Field

from interpctf.circuits.sites import (MAX_SOURCE_BYTES, Hypothesis, SiteClaim, SiteSpace, check_site,
                                      check_variables_used, load_mapping, validate)
from interpctf.errors import BadAnswer
from interpctf.intake.source import parse_python
from interpctf.kinds.base import Answer
from interpctf.kinds.compiled.facts import CompiledPublic
from interpctf.schema import AnswerFile

__all__ = ["ProgramAnswer", "CircuitAnswer", "CompiledAnswer", "SiteClaim", "parse_program", "parse_circuit"]


class ProgramAnswer(Answer):
    format: Literal["program"] = "program"
    source: str


class CircuitAnswer(Answer, Hypothesis):
    format: Literal["circuit"] = "circuit"


CompiledAnswer = Annotated[ProgramAnswer | CircuitAnswer, Field(discriminator="format")]


def _check_program(source: str, name: str, n_args: int) -> None:
    _, tree = parse_python(source.encode(), name, MAX_SOURCE_BYTES, "define def program(tokens, ...)")
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "program"]
    if not defs:
        raise BadAnswer(f"{name} defines no top-level function 'program'; write def program(tokens) -> list")
    args = defs[-1].args
    if len(args.posonlyargs) + len(args.args) < n_args and args.vararg is None:
        raise BadAnswer(f"{name}: program must take {n_args} positional argument{'s' if n_args > 1 else ''}"
                        + (" (tokens, v)" if n_args == 2 else ""))


def parse_program(answer: AnswerFile) -> ProgramAnswer:
    name = answer.filename or "answer.py"
    source, _ = parse_python(answer.data, name, MAX_SOURCE_BYTES, "submit a Python file defining program(tokens)")
    _check_program(source, name, 1)
    return ProgramAnswer(source=source)


def site_space(public: CompiledPublic) -> SiteSpace:
    """Heads' and MLPs' writes into the residual stream, over every position: each is d_model wide."""
    return SiteSpace(n_layers=public.n_layers, n_heads=public.n_heads,
                     widths={"attn": public.d_model, "mlp": public.d_model})


def parse_circuit(answer: AnswerFile, public: CompiledPublic) -> CircuitAnswer:
    name = answer.filename or "circuit.yaml"
    data = load_mapping(answer, "circuit.yaml", "'program' and 'variables'")
    data.setdefault("format", "circuit")
    circuit = validate(CircuitAnswer, data, name)
    assert isinstance(circuit, CircuitAnswer)
    _check_program(circuit.program, f"{name}: program", 2)
    space = site_space(public)
    for var, claim in circuit.variables.items():
        check_site(var, claim, space)
    check_variables_used(circuit, name)
    return circuit
