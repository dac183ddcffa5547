"""Study rules timings: question generation and rater assignment for 50 submissions x 12 trojans, next to a
same-run baseline (sorting as many candidate lists).

Run: .venv/bin/python benchmarks/bench_study.py [--submissions 50] [--trojans 12] [--raters 100]
Target (issue #18): question generation for 50 submissions x 12 trojans <= 5 s. Prints figures and ratios only.
The rater page's next-question latency under 100 concurrent raters: benchmarks/bench_study_server.py.
"""

from __future__ import annotations

import argparse
import random
import time


def main() -> None:
    from interpctf.rules.study import assign_raters, attention_questions, grade_study, make_questions

    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=50)
    parser.add_argument("--trojans", type=int, default=12)
    parser.add_argument("--raters", type=int, default=100)
    parser.add_argument("--k", type=int, default=3)
    args = parser.parse_args()
    triggers = {f"t{i:02d}": f"trig{i:02d}" for i in range(args.trojans)}
    pool = [f"pool{i:03d}" for i in range(50)]
    subs = {s: (s, list(triggers)) for s in range(args.submissions)}

    start = time.perf_counter()
    baseline = [sorted(random.Random(i).sample(pool, 8)) for i in range(args.submissions * args.trojans)]
    base_s = time.perf_counter() - start
    start = time.perf_counter()
    questions = make_questions(subs, triggers, pool, seed=1)
    gen_s = time.perf_counter() - start
    raters = {1000 + r: None for r in range(args.raters)}
    attn = attention_questions(triggers, pool, 3, seed=1)
    start = time.perf_counter()
    plan = assign_raters(raters, questions, args.k, seed=1, attention=attn)
    assign_s = time.perf_counter() - start
    rng = random.Random(0)
    by_id = {q.id: q for q in questions + attn}
    answers = [(r, qid, by_id[qid].answer if rng.random() < 0.6 else rng.randrange(8))
               for r, queue in plan.items() for qid in queue]
    start = time.perf_counter()
    grade_study(answers, questions + attn)
    grade_s = time.perf_counter() - start
    print(f"questions: {len(questions)} ({args.submissions} submissions x {args.trojans} trojans), "
          f"baseline {len(baseline)} sorted samples {base_s * 1000:.1f} ms")
    print(f"generate {gen_s * 1000:.1f} ms (x{gen_s / base_s:.3f} baseline; target <= 5000 ms)")
    print(f"assign {args.raters} raters, k={args.k}: {assign_s * 1000:.1f} ms (x{assign_s / base_s:.1f} baseline)")
    print(f"grade {len(answers)} answers: {grade_s * 1000:.1f} ms (x{grade_s / base_s:.1f} baseline)")


if __name__ == "__main__":
    main()
