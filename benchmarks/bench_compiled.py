"""The compiled kind: forging (compile + convert + exhaustive check) and grading a circuit by IIA.

Forging: sort, histogram and reverse with vocabulary 5 and length 8 (488,280 inputs checked; target <= 60 s
each). Grading: the compiled ground truth's circuit with 2,000 interchange pairs per variable (target <= 10 s),
and the ratio to one forward pass of the model over the same 2,000 base inputs.

    PYTHONPATH=src python benchmarks/bench_compiled.py [--programs sort,hist,reverse]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

PROGRAMS = {
    "hist": "from tracr.compiler import lib\nprogram = lib.make_hist()\n",
    "sort": "from tracr.compiler import lib\nfrom tracr.rasp import rasp\n"
            "program = lib.make_sort(rasp.tokens, rasp.tokens, max_seq_len=8, min_key=1)\n",
    "reverse": "from tracr.compiler import lib\nfrom tracr.rasp import rasp\nprogram = lib.make_reverse(rasp.tokens)\n",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--programs", default="hist,sort,reverse")
    parser.add_argument("--pairs", type=int, default=2000)
    args = parser.parse_args()

    from interpctf.bundle import open_challenge
    from interpctf.forge import forge
    from interpctf.kinds import get_kind
    from interpctf.kinds.compiled.check import model_outputs
    from interpctf.kinds.compiled.compiler import compile_recipe
    from interpctf.kinds.compiled.facts import CompiledPublic
    from interpctf.kinds.compiled.grader import iia, model_of
    from interpctf.kinds.compiled.answers import CircuitAnswer
    from interpctf.kinds.compiled.running import Layout
    from interpctf.nets.threads import single_thread

    kind = get_kind("compiled")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}")
    for name in args.programs.split(","):
        recipe = kind.recipe_model.model_validate({
            "kind": "compiled", "title": name, "program": PROGRAMS[name], "vocab": [0, 1, 2, 3, 4],
            "max_seq_len": 8, "obfuscate": "rotate", "n_pairs": args.pairs})
        t = time.perf_counter()
        compile_recipe(recipe)
        compile_s = time.perf_counter() - t
        out = Path(tempfile.mkdtemp(prefix="bench-compiled-")) / "out"
        t = time.perf_counter()
        forge(recipe, out, name, run_baselines=False)
        forge_s = time.perf_counter() - t
        ch = open_challenge(out / "bundle", out / "key.json")
        secret, public = ch.secret_as(kind.secret_model), ch.public_as(CompiledPublic)
        answer = CircuitAnswer(program=secret.reference_source,
                               variables={k: v.model_dump() for k, v in secret.variables.items()})
        model, layout = model_of(ch), Layout(public.vocab, public.output_values, public.max_seq_len)
        base = np.random.default_rng(0).integers(5, size=(args.pairs, 8))
        with single_thread():  # as the grader runs it, so the ratio compares like with like
            model_outputs(model, base)  # warm
            t = time.perf_counter()
            model_outputs(model, base)
            forward_s = time.perf_counter() - t
        t = time.perf_counter()
        scores, _ = iia(model, layout, answer, args.pairs, 0)
        iia_s = time.perf_counter() - t
        n_vars = len(answer.variables)
        print(f"{name}: forge {forge_s:.1f} s (compile alone {compile_s:.1f} s; target 60 s) | IIA over "
              f"{n_vars} variables x {args.pairs} pairs {iia_s:.2f} s = {iia_s / n_vars:.2f} s per variable "
              f"(target 10 s); one forward pass of {args.pairs} inputs {forward_s * 1000:.1f} ms; ratio per "
              f"variable {iia_s / n_vars / forward_s:.0f}x | IIA {[v['iia'] for v in scores.values()]}")


if __name__ == "__main__":
    main()
