"""Compiling a recipe's RASP program with Tracr and taking its weights apart into plain arrays.

Tracr is imported only here (and in :mod:`.rasp_eval`), so parsing recipes and grading never need jax. The
compiled model is read from Tracr's assembled parameters: per layer one multi-head attention block (heads padded
to one key size) and one MLP (padded to one hidden width), one-hot token and position embeddings, and an
unembedding that projects onto the output variable's directions. Every residual direction is labelled
``variable:value`` by Tracr, which is what makes each variable's subspace and site known exactly.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from interpctf.errors import BadRecipe, one_line
from interpctf.kinds.compiled.recipe import CompiledRecipe

BOS = "compiler_bos"


@dataclass
class Site:
    """Where a variable is written: ``component`` is "attn" (with ``head``) or "mlp"."""

    layer: int
    component: str
    head: int | None = None

    def name(self) -> str:
        return f"L{self.layer}.{'H' + str(self.head) if self.component == 'attn' else 'mlp'}"


@dataclass
class Compiled:
    """A compiled program as arrays (float64, the residual stream in Tracr's own basis) and its layout."""

    weights: dict[str, np.ndarray]
    labels: list[str]  # one per residual direction
    n_layers: int
    n_heads: int
    d_head: int
    d_mlp: int
    output_values: list[Any]  # the output variable's values, in unembedding order
    output_name: str
    variables: dict[str, list[int]] = field(default_factory=dict)  # intermediate variable -> its residual dims
    sites: dict[str, Site] = field(default_factory=dict)
    program: Any = None  # the RASP SOp
    graph: Any = None  # tracr's graph with value sets


def build_program(source: str) -> Any:
    """Run the recipe's trusted source and return its ``program`` (a tracr SOp)."""
    from tracr.rasp import rasp

    namespace: dict[str, Any] = {"__name__": "interpctf_rasp"}
    try:
        exec(compile(source, "<program>", "exec"), namespace)  # trusted: the organizer wrote it
    except Exception as exc:
        raise BadRecipe(f"program: running the RASP source failed: {one_line(exc)}") from None
    program = namespace.get("program")
    if not isinstance(program, rasp.SOp):
        raise BadRecipe("program: the source must set `program` to a tracr RASP SOp (e.g. lib.make_hist())")
    return program


def compile_recipe(recipe: CompiledRecipe) -> Compiled:
    """Compile with Tracr; a program Tracr refuses is one line naming why."""
    from tracr.compiler import basis_inference, compiling, rasp_to_graph
    from tracr.rasp import rasp

    program = build_program(recipe.program)
    if rasp.is_numerical(program):
        raise BadRecipe("program: numerical outputs are not supported yet; end with a categorical SOp")
    try:
        model = compiling.compile_rasp_to_model(program, vocab=set(recipe.vocab), max_seq_len=recipe.max_seq_len,
                                                causal=recipe.causal, compiler_bos=BOS,
                                                mlp_exactness=recipe.mlp_exactness)
    except Exception as exc:  # tracr raises NotImplementedError, ValueError, KeyError... for what it cannot do
        raise BadRecipe(f"program: Tracr cannot compile it: {one_line(exc)}") from None
    extracted = rasp_to_graph.extract_rasp_graph(program)  # a second graph, to keep its value sets
    basis_inference.infer_bases(extracted.graph, extracted.sink, set(recipe.vocab), recipe.max_seq_len)
    compiled = _take_apart(model, recipe, program.label)
    compiled.program, compiled.graph = program, extracted.graph
    _locate(compiled, extracted.graph)
    return compiled


def _take_apart(model: Any, recipe: CompiledRecipe, output_name: str) -> Compiled:
    params = {k: {p: np.asarray(a, dtype=np.float64) for p, a in v.items()} for k, v in model.params.items()}
    cfg = model.model_config
    labels = [str(label) for label in model.residual_labels]
    index = {label: i for i, label in enumerate(labels)}
    enc = model.input_encoder.encoding_map
    # Token ids: the recipe's vocabulary in its order, then BOS (no pad: every length runs as its own batch).
    token_rows = [enc[t] for t in recipe.vocab] + [enc[BOS]]
    encode = model.output_encoder.encoding_map
    output_values = sorted(encode, key=encode.__getitem__)
    w_u = np.zeros((len(labels), len(output_values)))
    for j, value in enumerate(output_values):
        w_u[index[f"{output_name}:{value}"], j] = 1.0
    L, H, dk, m = cfg.num_layers, cfg.num_heads, cfg.key_size, cfg.mlp_hidden_size
    d = len(labels)
    w: dict[str, np.ndarray] = {"W_E": params["token_embed"]["embeddings"][token_rows],
                                "W_pos": params["pos_embed"]["embeddings"], "W_U": w_u}
    for name in ("W_Q", "W_K", "W_V"):
        w[name] = np.zeros((L, H, d, dk))
    w["W_O"], w["W_in"], w["W_out"] = np.zeros((L, H, dk, d)), np.zeros((L, d, m)), np.zeros((L, m, d))
    for layer in range(L):
        attn, mlp = f"transformer/layer_{layer}/attn", f"transformer/layer_{layer}/mlp"
        for name, part in (("W_Q", "query"), ("W_K", "key"), ("W_V", "value")):
            w[name][layer] = params[f"{attn}/{part}"]["w"].reshape(d, H, dk).transpose(1, 0, 2)
        w["W_O"][layer] = params[f"{attn}/linear"]["w"].reshape(H, dk, d)
        w["W_in"][layer], w["W_out"][layer] = params[f"{mlp}/linear_1"]["w"], params[f"{mlp}/linear_2"]["w"]
        biases = [params[f"{attn}/{p}"]["b"] for p in ("query", "key", "value", "linear")] + \
                 [params[f"{mlp}/{p}"]["b"] for p in ("linear_1", "linear_2")]
        if any(np.any(b != 0) for b in biases):  # Tracr assembles without biases; the model has none
            raise BadRecipe("program: the compiled model has biases, which this converter does not carry")
    return Compiled(weights=w, labels=labels, n_layers=L, n_heads=H, d_head=dk, d_mlp=m,
                    output_values=output_values, output_name=output_name)


def _locate(compiled: Compiled, graph: Any) -> None:
    """Each intermediate variable's residual dims and the one block that writes them (read off the weights)."""
    from tracr.rasp import rasp

    sops = {graph.nodes[n]["EXPR"].label for n in graph.nodes if isinstance(graph.nodes[n]["EXPR"], rasp.SOp)}
    inputs = {rasp.tokens.label, rasp.indices.label}
    dims: dict[str, list[int]] = {}
    for i, label in enumerate(compiled.labels):
        name = label.split(":", 1)[0]
        if name in sops and name not in inputs:
            dims.setdefault(name, []).append(i)
    w = compiled.weights
    for name, rows in dims.items():
        writers = [Site(layer, "attn", head) for layer in range(compiled.n_layers) for head in range(compiled.n_heads)
                   if np.any(w["W_O"][layer, head][:, rows] != 0)]
        writers += [Site(layer, "mlp") for layer in range(compiled.n_layers) if np.any(w["W_out"][layer][:, rows] != 0)]
        if len(writers) != 1:  # Tracr writes every variable once; anything else would make the key wrong
            raise BadRecipe(f"program: variable {name} is written by {len(writers)} blocks, expected one")
        compiled.variables[name] = rows
        compiled.sites[name] = writers[0]
