"""CounterFact scores of ROME and MEMIT on the tiny model of every family (interpctf.nets.tiny_lm), per family
over record seeds: efficacy, paraphrase and neighbourhood (means), how many edits the editor verified and the
mean number of target optimizations (verification rounds) they took, and the seconds per edit.

ROME edits one record per run; MEMIT edits ``--batch`` records at once. Settings: interpctf.editing.tiny_settings.
Run: ``nice .venv/bin/python benchmarks/bench_editing_families.py [--seeds 5] [--batch 2] [FAMILY ...]``.
"""

from __future__ import annotations

import argparse
import time

import torch


def main() -> None:
    from interpctf.data.world import World
    from interpctf.editing import edit
    from interpctf.editing.tiny_settings import tiny_memit, tiny_rome
    from interpctf.nets.tiny_lm import FAMILIES, TinyLMConfig, fact_sentences, train_tiny_lm, world_records

    parser = argparse.ArgumentParser()
    parser.add_argument("families", nargs="*", default=list(FAMILIES))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=2, help="records per MEMIT edit")
    args = parser.parse_args()
    torch.set_num_threads(1)
    world, cfg = World.generate(), TinyLMConfig()
    corpus = fact_sentences(world, cfg)
    print(f"{'family':9} {'method':6} {'efficacy':>8} {'paraphr.':>8} {'neighb.':>8} {'verified':>9} "
          f"{'rounds':>6} {'s/edit':>6}")
    for family in args.families:
        model, tok = train_tiny_lm(family, world, cfg)
        for method, params, n in (("rome", tiny_rome(model), 1), ("memit", tiny_memit(model), args.batch)):
            rows, verified, rounds, seconds = [], 0, [], 0.0
            for seed in range(args.seeds):
                start = time.perf_counter()
                result = edit(model, world_records(world, cfg, n=n, seed=seed), method, device="cpu", tokenizer=tok,
                              stats_corpus=corpus, params=params)
                seconds += time.perf_counter() - start
                rows.append((result.efficacy, result.paraphrase, result.neighborhood))
                verified += sum(r["verified"] for r in result.records)
                rounds += [r["rounds"] for r in result.records]
            means = [sum(r[i] for r in rows) / len(rows) for i in range(3)]
            print(f"{family:9} {method:6} {means[0]:8.2f} {means[1]:8.2f} {means[2]:8.2f} "
                  f"{verified:>4}/{n * args.seeds:<4} {sum(rounds) / len(rounds):6.2f} {seconds / args.seeds:6.2f}")


if __name__ == "__main__":
    main()
