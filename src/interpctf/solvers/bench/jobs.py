"""One benchmark job, run in an executor worker: solve in a child process under the budget, then grade."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from interpctf.bundle import open_challenge
from interpctf.errors import BadAnswer, one_line
from interpctf.grading import grade_file
from interpctf.schema import AnswerFile
from interpctf.solvers.budget import SolverBudget
from interpctf.solvers.registry import get_solver

# Starting Python and importing torch is not the solver's time; the hard kill allows for it on a busy machine.
STARTUP_GRACE_SECONDS = 60.0


def run_job(solver: str, bundle_dir: str, key_path: str, challenge_id: str, budget_json: str) -> dict:
    """A :class:`~interpctf.solvers.bench.schema.RunResult` as a dict (plain data crosses process boundaries)."""
    budget = SolverBudget.model_validate_json(budget_json)
    with tempfile.TemporaryDirectory(prefix="ictf-solve-") as tmp:
        out = Path(tmp)
        outcome = _solve_in_child(solver, bundle_dir, key_path, budget, out)
        base = {"solver": solver, "challenge": challenge_id, "seconds": round(outcome.get("seconds", 0.0), 3)}
        if outcome["status"] != "ok":
            return {**base, "status": outcome["status"], "error": outcome.get("error")}
        if outcome["seconds"] > budget.seconds:
            return {**base, "status": "timeout", "error": f"took {outcome['seconds']:.1f}s of {budget.seconds:g}s"}
        return {**base, **_grade(outcome["filename"], (out / "answer").read_bytes(), bundle_dir, key_path)}


def _solve_in_child(solver: str, bundle_dir: str, key_path: str, budget: SolverBudget, out: Path) -> dict:
    key_arg = key_path if get_solver(solver).access == "key" else "-"  # only the reference solver sees the key
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "interpctf.solvers.bench.child", solver, bundle_dir, key_arg,
                             budget.model_dump_json(), str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        _, stderr = proc.communicate(timeout=budget.seconds + STARTUP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the solver and anything it started
        proc.communicate()
        return {"status": "timeout", "seconds": time.perf_counter() - started,
                "error": f"killed after {budget.seconds:g}s budget (+{STARTUP_GRACE_SECONDS:g}s start-up)"}
    result_file = out / "result.json"
    if not result_file.exists():
        last = (stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return {"status": "error", "seconds": time.perf_counter() - started, "error": f"solver died: {last[0][:300]}"}
    return json.loads(result_file.read_text())


def _grade(filename: str, data: bytes, bundle_dir: str, key_path: str) -> dict:
    try:
        grade = grade_file(None, AnswerFile(filename, data), open_challenge(Path(bundle_dir), Path(key_path)))
    except BadAnswer as exc:
        return {"status": "bad-answer", "error": one_line(exc)}
    return {"status": "ok", "raw_score": grade.score, "public_score": grade.public_score, "solved": grade.solved}
