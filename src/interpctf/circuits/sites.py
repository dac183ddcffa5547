"""A circuit hypothesis, kind-neutral: a program with ``v(name, value)`` hooks and, per variable, a model site.

A site names one activation of the model: ``component`` (``embed``, ``attn``, ``mlp`` or ``resid``), its
``layer``, an attention ``head``, a ``position`` where the kind's sites are per position, and optionally the
part of the activation the variable lives in: ``neurons`` (indices of units, MLP sites that expose their hidden
units) or ``basis`` (rows spanning a subspace, each as wide as the activation). Each kind describes its model's
sites with a :class:`SiteSpace`; :func:`check_site` refuses anything the model lacks in one line naming the
field, before any grading starts.
"""

import json
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interpctf.errors import BadAnswer
from interpctf.schema import AnswerFile

MAX_CIRCUIT_BYTES = 8 << 20  # a basis for a 100-dim subspace of a 1000-dim residual stream is ~2 MB of text
MAX_SOURCE_BYTES = 1 << 20
MAX_VARIABLES = 64
MAX_NEURONS = 1 << 16

Component = Literal["embed", "attn", "mlp", "resid"]


class SiteClaim(BaseModel):
    """One variable's claimed site; ``basis`` rows span the subspace (None: the site's whole activation)."""

    model_config = ConfigDict(extra="forbid")

    layer: int = Field(default=0, ge=0)
    component: Component
    head: int | None = Field(default=None, ge=0)
    position: str | None = Field(default=None, max_length=32)
    neurons: list[int] | None = Field(default=None, min_length=1, max_length=MAX_NEURONS)
    basis: list[list[float]] | None = None


class Hypothesis(BaseModel):
    """The common part of every kind's circuit answer."""

    model_config = ConfigDict(extra="forbid")

    program: str = Field(max_length=MAX_SOURCE_BYTES)
    variables: dict[str, SiteClaim] = Field(min_length=1, max_length=MAX_VARIABLES)


@dataclass(frozen=True)
class SiteSpace:
    """The sites a model has: per component the activation's width (per head for ``attn``), the layers and
    heads, the named positions (empty: sites cover every position) and the components whose units may be listed
    as ``neurons``."""

    n_layers: int
    n_heads: int
    widths: dict[str, int]
    positions: dict[str, int] = field(default_factory=dict)
    neuron_components: frozenset[str] = frozenset()
    per_layer: frozenset[str] = frozenset({"attn", "mlp", "resid"})

    def width(self, claim: SiteClaim) -> int:
        return self.widths[claim.component]


def load_mapping(answer: AnswerFile, default_name: str, what: str) -> dict[str, object]:
    """The answer as a mapping, from YAML or JSON (by the file's suffix), in bounded memory."""
    name = answer.filename or default_name
    if len(answer.data) > MAX_CIRCUIT_BYTES:
        raise BadAnswer(f"{name} is over {MAX_CIRCUIT_BYTES >> 20} MiB; a circuit is a program and a few sites")
    is_json = name.endswith(".json")
    try:
        text = answer.data.decode("utf-8")
        data = json.loads(text) if is_json else yaml.safe_load(text)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError, RecursionError) as exc:
        raise BadAnswer(f"{name} is not valid {'JSON' if is_json else 'YAML'}: "
                        f"{' '.join(str(exc).split())[:120]}") from None
    if not isinstance(data, dict):
        raise BadAnswer(f"{name} must be a mapping with {what}")
    return data


def validate(model: type[BaseModel], data: dict[str, object], name: str) -> BaseModel:
    """``model.model_validate`` with the first error as one line naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "circuit"
        raise BadAnswer(f"{name}: {where}: {first['msg']}") from None


def check_variables_used(hypothesis: Hypothesis, name: str) -> None:
    """Every claimed variable must pass through ``v`` in the program, or no intervention can predict anything."""
    for var in hypothesis.variables:
        if repr(var) not in hypothesis.program and json.dumps(var) not in hypothesis.program:
            raise BadAnswer(f"{name}: variable {var!r} never appears in the program; pass it through v({var!r}, ...)")


def check_site(var: str, claim: SiteClaim, space: SiteSpace) -> None:
    """A site the model has; neurons in range; a basis of the site's width and full rank."""
    at = f"variables.{var}"
    if claim.component not in space.widths:
        raise BadAnswer(f"{at}.component: this model's sites are {', '.join(space.widths)}, not {claim.component}")
    if claim.component in space.per_layer and claim.layer >= space.n_layers:
        raise BadAnswer(f"{at}.layer: the model has layers 0..{space.n_layers - 1}, not {claim.layer}")
    if claim.component not in space.per_layer and "layer" in claim.model_fields_set and claim.layer != 0:
        raise BadAnswer(f"{at}.layer: a {claim.component} site has no layer")
    if claim.component == "attn":
        if claim.head is None or claim.head >= space.n_heads:
            raise BadAnswer(f"{at}.head: an attn site needs a head in 0..{space.n_heads - 1}")
    elif claim.head is not None:
        raise BadAnswer(f"{at}.head: a {claim.component} site has no head")
    if space.positions:
        if claim.position is not None and claim.position not in space.positions:
            raise BadAnswer(f"{at}.position: the positions are {', '.join(space.positions)}, not {claim.position!r}")
    elif claim.position is not None:
        raise BadAnswer(f"{at}.position: this model's sites cover every position; remove position")
    width = space.width(claim)
    if claim.neurons is not None:
        if claim.component not in space.neuron_components:
            raise BadAnswer(f"{at}.neurons: only {' or '.join(sorted(space.neuron_components)) or 'no'} sites "
                            f"list neurons; give a basis instead")
        if claim.basis is not None:
            raise BadAnswer(f"{at}: give neurons or a basis, not both")
        bad = [n for n in claim.neurons if not 0 <= n < width]
        if bad:
            raise BadAnswer(f"{at}.neurons: {bad[0]} is out of range; the {claim.component} has neurons 0..{width - 1}")
        if len(set(claim.neurons)) != len(claim.neurons):
            raise BadAnswer(f"{at}.neurons: a neuron is listed twice")
    if claim.basis is not None:
        basis = np.asarray(claim.basis, dtype=np.float64) if claim.basis and all(
            len(r) == len(claim.basis[0]) for r in claim.basis) else np.zeros((0, 0))
        if basis.ndim != 2 or basis.shape[0] == 0 or basis.shape[1] != width:
            raise BadAnswer(f"{at}.basis: rows must have the {claim.component} site's width {width}")
        if not np.all(np.isfinite(basis)) or np.linalg.matrix_rank(basis) < basis.shape[0]:
            raise BadAnswer(f"{at}.basis: the {basis.shape[0]} rows are not linearly independent")
