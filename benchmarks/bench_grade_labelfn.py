"""End-to-end grading of a pairs answer (parse + sandbox over all 12,769 pairs + scoring), on pairs-2023.

Issue target: p50 <= 150 ms per grade; >= 10 grades/s sustained on 2 cores. The baseline, measured in the same
run, is calling the same rule in-process over the same inputs. Uses the cached reference challenge (forged on
first use). Run: .venv/bin/python benchmarks/bench_grade_labelfn.py [--grades 40]
"""

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from interpctf.bundle import open_challenge, read_key
from interpctf.data.pairs import all_pairs
from interpctf.grading import grade_file
from interpctf.kinds.labelfn.rule import apply_rule, compile_rule
from interpctf.reference import forged_reference
from interpctf.schema import AnswerFile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grades", type=int, default=40)
    args = parser.parse_args()

    out = forged_reference("pairs-2023")
    challenge = open_challenge(out / "bundle", out / "key.json")
    rule = read_key(out / "key.json").secret["rule_source"]
    answer = AnswerFile("rule.py", rule.encode())
    pairs = all_pairs(113)

    label = compile_rule(rule)
    inproc = []
    for _ in range(5):
        start = time.perf_counter()
        apply_rule(label, pairs, unpack=True)
        inproc.append(time.perf_counter() - start)

    grade_file(None, answer, challenge)  # start the warm sandbox
    times = []
    for _ in range(args.grades):
        start = time.perf_counter()
        grade = grade_file(None, answer, challenge)
        times.append(time.perf_counter() - start)
    assert grade.solved and grade.score == 1.0

    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: grade_file(None, answer, challenge), range(args.grades)))
    sustained = args.grades / (time.perf_counter() - start)

    p50, p95 = statistics.median(times), sorted(times)[int(0.95 * (len(times) - 1))]
    base = statistics.median(inproc)
    print(f"in-process rule over 12,769 pairs: {base * 1000:.1f} ms")
    print(f"sandboxed grade: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms "
          f"(p50 = {p50 / base:.2f}x in-process); target p50 <= 150 ms")
    print(f"sustained, 2 concurrent graders: {sustained:.1f} grades/s; target >= 10/s")


if __name__ == "__main__":
    main()
