"""One solve in its own process, so the runner can kill it when it overruns its budget.

``python -m interpctf.solvers.bench.child SOLVER BUNDLE KEY|- BUDGET_JSON OUT_DIR`` writes ``OUT_DIR/answer``
and ``OUT_DIR/result.json`` (status, answer file name, seconds spent in the solver, one-line error).
"""

import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    solver, bundle, key, budget_json, out = argv
    out_dir = Path(out)
    started = time.perf_counter()
    try:
        from interpctf.solvers.budget import SolverBudget
        from interpctf.solvers.registry import get_solver

        loaded = time.perf_counter()  # imports are not the solver's time: a fresh process pays them every run
        answer = get_solver(solver).run(Path(bundle), SolverBudget.model_validate_json(budget_json),
                                        None if key == "-" else Path(key))
        (out_dir / "answer").write_bytes(answer.data)
        result = {"status": "ok", "filename": answer.filename, "seconds": time.perf_counter() - loaded}
    except Exception as exc:  # any solver fault is a recorded failure, never the runner's crash
        text = " ".join((str(exc).strip() or type(exc).__name__).split())
        result = {"status": "error", "error": f"{type(exc).__name__}: {text}"[:500],
                  "seconds": time.perf_counter() - started}
    (out_dir / "result.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
