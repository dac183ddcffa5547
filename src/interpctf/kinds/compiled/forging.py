"""Forging a compiled challenge: compile, optionally rotate the residual stream, convert, check exhaustively."""

import json

import numpy as np

from interpctf.kinds.base import Forged, ForgeTarget
from interpctf.errors import BadRecipe
from interpctf.kinds.compiled.check import exhaustive_check, output_map, sample_against_rasp
from interpctf.kinds.compiled.compiler import Compiled, compile_recipe
from interpctf.kinds.compiled.facts import CompiledPublic, CompiledSecret, TruthSite
from interpctf.kinds.compiled.net import CompiledConfig, CompiledTransformer, build, save
from interpctf.kinds.compiled.rasp_eval import BatchEvaluator
from interpctf.kinds.compiled.rasp_source import python_source
from interpctf.kinds.compiled.recipe import CompiledRecipe, n_inputs
from interpctf.progress import Progress
from interpctf.schema import AnswerFile

READS = ("W_Q", "W_K", "W_V", "W_in")  # weights that read the residual stream: rows are residual dims


def rotate(weights: dict[str, np.ndarray], q: np.ndarray) -> dict[str, np.ndarray]:
    """The same function with residual stream r' = r Q: writers are multiplied by Q, readers by Q^T."""
    w = dict(weights)
    w["W_E"], w["W_pos"], w["W_U"] = weights["W_E"] @ q, weights["W_pos"] @ q, q.T @ weights["W_U"]
    for name in READS:
        w[name] = np.einsum("dc,...ce->...de", q.T, weights[name])
    w["W_O"], w["W_out"] = weights["W_O"] @ q, weights["W_out"] @ q
    return w


def orthogonal(d: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.standard_normal((d, d))
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diag(r))  # Haar-distributed


def config(c: Compiled, recipe: CompiledRecipe) -> CompiledConfig:
    return CompiledConfig(n_layers=c.n_layers, n_heads=c.n_heads, d_model=len(c.labels), d_head=c.d_head,
                          d_mlp=c.d_mlp, n_ctx=recipe.max_seq_len + 1, d_vocab=len(recipe.vocab) + 1,
                          d_vocab_out=len(c.output_values), causal=recipe.causal, vocab=recipe.vocab,
                          output_values=c.output_values)


def forge_compiled(recipe: CompiledRecipe, seed: int, target: ForgeTarget,
                   progress: Progress) -> Forged[CompiledPublic, CompiledSecret]:
    rng = np.random.default_rng(seed)
    with progress.step("compiling the RASP program with Tracr", total=1) as step:
        compiled = compile_recipe(recipe)
        step.advance()
    ev = BatchEvaluator(compiled.graph, recipe.vocab)
    sample_against_rasp(compiled.program, ev, recipe.vocab, recipe.max_seq_len, rng)
    d = len(compiled.labels)
    q = orthogonal(d, rng) if recipe.obfuscate == "rotate" else np.eye(d)
    model = build(config(compiled, recipe), rotate(compiled.weights, q))
    total = n_inputs(len(recipe.vocab), recipe.max_seq_len)
    with progress.step(f"checking the model on all {total:,} inputs", total=total) as step:
        checked = exhaustive_check(model, ev, compiled.program.label, recipe.vocab, recipe.max_seq_len,
                                   lambda k: step.advance(k))
    reference = python_source(ev, compiled.program.label, {"tokens", "indices"})
    variables = {name: TruthSite(layer=site.layer, component=site.component, head=site.head,
                                 basis=np.round(q[compiled.variables[name]], 12).tolist())
                 for name, site in compiled.sites.items()}
    metrics = {"exhaustive_agreement": 1.0, "n_checked": float(checked)}
    distil_iia: dict[str, dict[str, object]] = {}
    if recipe.distil:
        model, variables, distil_iia, metrics["distil_agreement"] = _distil(model, compiled, ev, recipe, seed,
                                                                            progress)
        d = model.cfg.d_model
    save(model, target.model_dir)
    circuit = {"format": "circuit", "program": reference,
               "variables": {name: {"layer": t.layer, "component": t.component, "head": t.head, "basis": t.basis}
                             for name, t in variables.items()}}
    (target.examples_dir / "program.py").write_text(
        "# A program answer: the output for every position of the tokens.\n"
        "def program(tokens):\n    return list(tokens)\n")
    public = CompiledPublic(vocab=recipe.vocab, max_seq_len=recipe.max_seq_len, output_values=compiled.output_values,
                            n_layers=compiled.n_layers, n_heads=compiled.n_heads, d_model=d, causal=recipe.causal,
                            obfuscate=recipe.obfuscate, n_inputs=total, distilled=recipe.distil,
                            not_carried_over=sorted(set(compiled.sites) - set(variables)))
    secret = CompiledSecret(rasp_source=recipe.program, reference_source=reference, variables=variables,
                            n_pairs=recipe.n_pairs, pair_seed=int(rng.integers(1 << 31)), distil_iia=distil_iia)
    # A distilled model where no variable carried over has no circuit to answer with: its truth is behaviour.
    reference_answer = AnswerFile("circuit.json", json.dumps(circuit).encode()) if variables else \
        AnswerFile("program.py", reference.encode())
    return Forged(
        answer_format="circuit",
        answer_help="A circuit (circuit.yaml or .json): `program`, Python source defining program(tokens, v) that "
                    "passes each intermediate variable through v(name, value), and `variables`, each name -> "
                    "{layer, component: attn|mlp, head, basis (optional rows)}. Graded by agreement on every input "
                    "and by interchange intervention accuracy per variable. A program.py defining program(tokens) "
                    "is graded by behaviour alone.",
        public=public, secret=secret,
        reference_answer=reference_answer,
        metrics=metrics,
        statement="A transformer compiled from a secret RASP program maps each sequence of tokens to a sequence. "
                  "Recover the program and say where the model computes each of its variables.",
    )


def _distil(teacher: CompiledTransformer, compiled: Compiled, ev: BatchEvaluator, recipe: CompiledRecipe, seed: int,
            progress: Progress) -> tuple[CompiledTransformer, dict[str, TruthSite], dict[str, dict[str, object]],
                                         float]:
    """The trained student, the variables whose mechanism carried over (at the student's sites), each variable's
    best site and IIA, and the student's agreement with the compiled model over every input."""
    from interpctf.kinds.compiled import distil

    width = recipe.distil_d_model or max(2, len(compiled.labels) // 2)
    if width >= len(compiled.labels):
        raise BadRecipe(f"distil_d_model: {width} is not below the compiled residual width {len(compiled.labels)}")
    cfg = distil.student_config(teacher.cfg, width, recipe.distil_d_mlp)
    with progress.step(f"distilling into a {width}-dim transformer", total=recipe.distil_steps) as step:
        student, agreement = distil.train_student(teacher, cfg, recipe.max_seq_len, seed, recipe.distil_steps,
                                                  lambda k: step.advance(k))
    sink = compiled.program.label
    found = distil.locate(student, ev, sink, list(compiled.sites), output_map(ev, sink, compiled.output_values),
                          recipe.max_seq_len, recipe.n_pairs, seed)
    sites = {name: TruthSite(layer=c.layer, component=c.component, head=c.head)
             for name, c in distil.carried(found).items()}
    return student, sites, distil.per_variable(found), agreement
