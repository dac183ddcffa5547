"""Circuit answers on the pairs domain: a program ``label(x, y, v)`` and, per variable, a site of the model.

The one-layer pair transformer (GPT-2 layout, input ``[x, y, SEP]``) has these sites (:mod:`interpctf.circuits`):

- ``embed`` at ``position: x`` or ``y``: the token embedding there (width d_model);
- ``attn`` (``layer``, ``head``): that head's output before the output projection (width d_head);
- ``mlp`` (``layer``): the MLP's hidden units after the ReLU (width d_mlp), all of them, the ``neurons``
  listed, or a ``basis`` of that space;
- ``resid`` (``layer``): the residual stream after that layer's block (width d_model); the last layer's at
  ``sep`` is what the label is read from.

``attn``, ``mlp`` and ``resid`` sites sit at ``position: sep`` unless another is named. There is no planted
mechanism here: the grade says how causally faithful the hypothesis is about this model.
"""

import ast
from typing import Any, Literal

import torch

from interpctf.circuits.patching import Patch, projector
from interpctf.circuits.sites import (Hypothesis, SiteClaim, SiteSpace, check_site, check_variables_used,
                                      load_mapping, validate)
from interpctf.errors import BadAnswer
from interpctf.kinds.base import Answer
from interpctf.kinds.labelfn.answer import _arity_ok
from interpctf.intake.source import parse_python
from interpctf.schema import AnswerFile

POSITIONS = {"x": 0, "y": 1, "sep": 2}


class CircuitAnswer(Answer, Hypothesis):
    format: Literal["circuit"] = "circuit"


def site_space(config: dict[str, Any]) -> SiteSpace:
    """The sites of a pairs model, from its config.json (GPT-2's field names)."""
    d, h = int(config["n_embd"]), int(config["n_head"])
    return SiteSpace(n_layers=int(config["n_layer"]), n_heads=h, positions=POSITIONS,
                     widths={"embed": d, "attn": d // h, "mlp": int(config["n_inner"]), "resid": d},
                     neuron_components=frozenset({"mlp"}))


def parse_circuit(answer: AnswerFile, domain: str, config: dict[str, Any]) -> CircuitAnswer:
    name = answer.filename or "circuit.yaml"
    if domain != "pairs":
        raise BadAnswer(f"{name}: circuit answers apply to the pairs domain; submit a Python file defining label")
    data = load_mapping(answer, "circuit.yaml", "'program' and 'variables'")
    data.setdefault("format", "circuit")
    circuit = validate(CircuitAnswer, data, name)
    assert isinstance(circuit, CircuitAnswer)
    _, tree = parse_python(circuit.program.encode(), f"{name}: program", 1 << 20, "define def label(x, y, v)")
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "label"]
    if not defs or not _arity_ok(defs[-1], 3):
        raise BadAnswer(f"{name}: program must define label(x, y, v) (v(name, value) marks each variable)")
    space = site_space(config)
    for var, claim in circuit.variables.items():
        check_site(var, claim, space)
        if claim.component == "embed" and claim.position not in ("x", "y"):
            raise BadAnswer(f"variables.{var}.position: an embed site is at position x or y")
    check_variables_used(circuit, name)
    return circuit


def site_patch(model: Any, claim: SiteClaim) -> Patch:
    """The hook point of a claimed site in a GPT2LMHeadModel, and the part of it to patch."""
    t = model.transformer
    pos = POSITIONS[claim.position or "sep"]
    if claim.component == "embed":
        return Patch(t.wte, (pos,), projector(claim.basis))
    block = t.h[claim.layer]
    if claim.component == "attn":  # the heads' outputs, concatenated, are the output projection's input
        e = block.attn.head_dim
        assert claim.head is not None
        return Patch(block.attn.c_proj, (pos, slice(claim.head * e, (claim.head + 1) * e)), projector(claim.basis),
                     pre=True)
    if claim.component == "mlp":
        units: Any = claim.neurons if claim.neurons is not None else slice(None)
        return Patch(block.mlp.act, (pos, units), projector(claim.basis))
    return Patch(block, (pos,), projector(claim.basis))


def label_of(model: Any, tokens: torch.Tensor) -> torch.Tensor:
    """The model's label (0 or 1) per row of ``[x, y, SEP]`` tokens."""
    return model(input_ids=tokens).logits[:, -1, :2].argmax(-1)

