"""Editing performance on the reference world model, as ratios to one forward pass over the statistics corpus.

Targets: key statistics ≤ 60 s; one ROME edit ≤ 2 s once the statistics are cached. Both are printed in seconds
and as a ratio to the time of one (no-grad) forward pass over the same corpus, measured in this run, so the
figures compare across machines and loads. Run: ``.venv/bin/python benchmarks/bench_editing.py [--edits N]``.

``--own`` (issue 14, any causal LM): one ROME edit through ``interpctf.editing.edit`` on a transformers GPT-2 the
size of the world model (built from the same config, so equal size) vs the world editor's edit on the world model
(target ≤ 1.2×); and the peak memory of streamed key statistics over a 10× larger text file vs 1× (target ≤ 1.2×),
each in a fresh process. ``--device cuda`` runs the same on a GPU.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch

from interpctf.editing import apply_edits, random_edits
from interpctf.editing.hooks import encode
from interpctf.editing.stats import STATS_DOCS, STATS_SEED, compute_key_stats, key_stats
from interpctf.nets.tiny_gpt_reference import reference_world_model


@torch.no_grad()
def corpus_forward_seconds(model, tokenizer, world, batch_size: int = 128) -> float:
    docs = world.corpus(STATS_DOCS, seed=STATS_SEED)
    start = time.perf_counter()
    for i in range(0, len(docs), batch_size):
        ids, _ = encode(tokenizer, docs[i:i + batch_size])
        model(input_ids=ids)
    return time.perf_counter() - start


def _peak_rss_child(lines: int, path: str, device: str) -> float:
    """Peak RSS (MiB) of a fresh process that streams key statistics of the world model over ``lines`` lines."""
    import subprocess
    import sys

    code = ("import resource, torch, itertools\n"
            "from interpctf.nets.tiny_gpt_reference import reference_world_model\n"
            "from interpctf.editing.corpus import corpus_texts\n"
            "from interpctf.editing.stats import stream_key_stats\n"
            f"wm = reference_world_model(); m = wm.model.to({device!r})\n"
            f"texts, _ = corpus_texts({path!r}, {lines})\n"
            "stream_key_stats(m, wm.tokenizer, texts, [3])\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def own_model(edits: int, device: str) -> None:
    import os

    import copy

    from interpctf.editing import edit
    from interpctf.editing.counterfact import parse_records
    from interpctf.editing.requests import rome_records_inplace
    from interpctf.editing.rome import RomeParams
    from transformers import GPT2LMHeadModel

    wm = reference_world_model()
    model, tok, world = wm.model.to(device), wm.tokenizer, wm.world
    twin = GPT2LMHeadModel(model.config).to(device).eval()  # the same size and layout, a plain transformers GPT-2
    twin.load_state_dict(model.state_dict())
    with tempfile.TemporaryDirectory() as cache:
        key_stats(model, tok, world, cache)
        world_times, own_times, full_times = [], [], []
        for e in random_edits(world, edits, seed=97):
            start = time.perf_counter()
            apply_edits(model, tok, world, [e], "rome", cache)
            world_times.append(time.perf_counter() - start)
            old = world.object_of(e.subject, e.relation)
            template = world.templates(e.relation, "train")[0].text.replace("{s}", "{}")
            record = {"requested_rewrite": {"prompt": template, "subject": e.subject, "target_new": {"str": e.new_object},
                                            "target_true": {"str": old}}}
            cov = key_stats(model, tok, world, cache, [RomeParams().layer])[RomeParams().layer]
            start = time.perf_counter()  # the edit alone, statistics cached, as on the world side
            rome_records_inplace(copy.deepcopy(twin), tok, parse_records([record]), cov, RomeParams())
            own_times.append(time.perf_counter() - start)
            docs = world.corpus(STATS_DOCS, seed=STATS_SEED)
            start = time.perf_counter()
            edit(twin, [record], "rome", device=device, tokenizer=tok, stats_corpus=docs,
                 params=RomeParams(), stats_docs=STATS_DOCS)
            full_times.append(time.perf_counter() - start)
    w, o, f = sum(world_times) / edits, sum(own_times) / edits, sum(full_times) / edits
    print(f"world editor, one ROME edit (stats cached): {w:6.2f} s")
    print(f"records editor on a transformers GPT-2 of equal size (stats cached): {o:6.2f} s  = {o / w:5.2f} x  "
          "(target <= 1.2)")
    print(f"edit() end to end (its key statistics and before/after scores included): {f:6.2f} s  = {f / w:5.2f} x")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "corpus.txt")
        with open(path, "w") as fh:
            for d in world.corpus(10 * STATS_DOCS, seed=STATS_SEED):
                fh.write(d + "\n")
        one, ten = _peak_rss_child(STATS_DOCS, path, device), _peak_rss_child(10 * STATS_DOCS, path, device)
    print(f"key statistics peak RSS: {STATS_DOCS} docs {one:7.1f} MiB, {10 * STATS_DOCS} docs {ten:7.1f} MiB "
          f"= {ten / one:5.3f} x  (target <= 1.2)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--own", action="store_true", help="the any-causal-LM figures (issue 14)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--edits", type=int, default=5, help="ROME edits to time")
    parser.add_argument("--memit", type=int, default=20, help="MEMIT batch size to time")
    args = parser.parse_args()
    if args.own:
        own_model(args.edits, args.device)
        return
    wm = reference_world_model()
    model, tok, world = wm.model, wm.tokenizer, wm.world
    print(f"torch threads: {torch.get_num_threads()} (machine shared with other jobs: timings are pessimistic)")
    corpus_forward_seconds(model, tok, world)  # warm-up
    fwd = corpus_forward_seconds(model, tok, world)
    print(f"forward pass over the statistics corpus ({STATS_DOCS} docs): {fwd:.2f} s")

    start = time.perf_counter()
    compute_key_stats(model, tok, world)
    stats = time.perf_counter() - start
    print(f"key statistics, all layers:     {stats:7.2f} s  = {stats / fwd:6.2f} x forward   (target <= 60 s)")

    with tempfile.TemporaryDirectory() as cache:
        key_stats(model, tok, world, cache)
        edits = random_edits(world, args.edits, seed=99)
        times = []
        for e in edits:
            start = time.perf_counter()
            apply_edits(model, tok, world, [e], "rome", cache)
            times.append(time.perf_counter() - start)
        rome = sum(times) / len(times)
        print(f"one ROME edit (stats cached):   {rome:7.2f} s  = {rome / fwd:6.2f} x forward   (target <= 2 s; "
              f"mean of {len(times)}, min {min(times):.2f} s)")
        batch = random_edits(world, args.memit, seed=98)
        start = time.perf_counter()
        apply_edits(model, tok, world, batch, "memit", cache)
        memit = time.perf_counter() - start
        print(f"MEMIT, {args.memit} edits at once:     {memit:7.2f} s  = {memit / fwd:6.2f} x forward")


if __name__ == "__main__":
    main()
