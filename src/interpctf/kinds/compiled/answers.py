"""The compiled kind's answers: a ``program`` (Python ``program(tokens)``) or a ``circuit`` (YAML or JSON: a
program with ``v(name, value)`` hooks and, per variable, the model site that computes it)."""

import ast
import json
from typing import Annotated, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interpctf.errors import BadAnswer
from interpctf.intake.source import parse_python
from interpctf.kinds.base import Answer
from interpctf.kinds.compiled.facts import CompiledPublic
from interpctf.schema import AnswerFile

MAX_SOURCE_BYTES = 1 << 20
MAX_CIRCUIT_BYTES = 8 << 20  # a basis for a 100-dim subspace of a 1000-dim residual stream is ~2 MB of text
MAX_VARIABLES = 64


class ProgramAnswer(Answer):
    format: Literal["program"] = "program"
    source: str


class SiteClaim(BaseModel):
    """One variable's claimed site; ``basis`` rows span the subspace (None: the site's whole output)."""

    model_config = ConfigDict(extra="forbid")

    layer: int = Field(ge=0)
    component: Literal["attn", "mlp"]
    head: int | None = Field(default=None, ge=0)
    basis: list[list[float]] | None = None


class CircuitAnswer(Answer):
    format: Literal["circuit"] = "circuit"
    program: str = Field(max_length=MAX_SOURCE_BYTES)
    variables: dict[str, SiteClaim] = Field(min_length=1, max_length=MAX_VARIABLES)


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


def parse_circuit(answer: AnswerFile, public: CompiledPublic) -> CircuitAnswer:
    name = answer.filename or "circuit.yaml"
    if len(answer.data) > MAX_CIRCUIT_BYTES:
        raise BadAnswer(f"{name} is over {MAX_CIRCUIT_BYTES >> 20} MiB; a circuit is a program and a few sites")
    try:
        text = answer.data.decode("utf-8")
        data = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise BadAnswer(f"{name} is not valid {'JSON' if name.endswith('.json') else 'YAML'}: "
                        f"{' '.join(str(exc).split())[:120]}") from None
    if not isinstance(data, dict):
        raise BadAnswer(f"{name} must be a mapping with 'program' and 'variables'")
    data.setdefault("format", "circuit")
    try:
        circuit = CircuitAnswer.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "circuit"
        raise BadAnswer(f"{name}: {where}: {first['msg']}") from None
    _check_program(circuit.program, f"{name}: program", 2)
    for var, claim in circuit.variables.items():
        check_site(var, claim, public)
        if repr(var) not in circuit.program and json.dumps(var) not in circuit.program:
            raise BadAnswer(f"{name}: variable {var!r} never appears in the program; pass it through v({var!r}, ...)")
    return circuit


def check_site(var: str, claim: SiteClaim, public: CompiledPublic) -> None:
    """A site the model has, and a basis of the residual width and full rank."""
    if claim.layer >= public.n_layers:
        raise BadAnswer(f"variables.{var}.layer: the model has layers 0..{public.n_layers - 1}, not {claim.layer}")
    if claim.component == "attn":
        if claim.head is None or claim.head >= public.n_heads:
            raise BadAnswer(f"variables.{var}.head: an attn site needs a head in 0..{public.n_heads - 1}")
    elif claim.head is not None:
        raise BadAnswer(f"variables.{var}.head: an mlp site has no head")
    if claim.basis is not None:
        basis = np.asarray(claim.basis, dtype=np.float64) if claim.basis else np.zeros((0, 0))
        if basis.ndim != 2 or basis.shape[0] == 0 or basis.shape[1] != public.d_model:
            raise BadAnswer(f"variables.{var}.basis: rows must have the residual width {public.d_model}")
        if not np.all(np.isfinite(basis)) or np.linalg.matrix_rank(basis) < basis.shape[0]:
            raise BadAnswer(f"variables.{var}.basis: the {basis.shape[0]} rows are not linearly independent")
