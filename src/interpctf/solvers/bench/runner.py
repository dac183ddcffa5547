"""Run solvers over a suite through :mod:`interpctf.executor`, every (solver, challenge) as one job.

The anchors of the scale, ``trivial`` and ``reference``, run on every challenge whether asked for or not; a job
that fails (solver crash, overrun, unparseable answer, even a broken worker) becomes a recorded failure.
"""

from interpctf.errors import InterpctfError, one_line
from interpctf.progress import Progress, SilentProgress
from interpctf.solvers.bench.jobs import run_job
from interpctf.solvers.bench.metrics import mean_normalized, normalize
from interpctf.solvers.bench.schema import BenchReport, ChallengeInfo, RunResult, SolverSummary
from interpctf.solvers.bench.suite import Suite, SuiteChallenge, distinct_ids
from interpctf.solvers.budget import SolverBudget
from interpctf.solvers.registry import get_solver

ANCHORS = ("trivial", "reference")


def plan(solvers: list[str], challenges: list[SuiteChallenge]) -> list[tuple[str, SuiteChallenge]]:
    """Every (solver, challenge) to run: the asked solvers where they apply, plus the anchors everywhere."""
    entries = [get_solver(name) for name in dict.fromkeys(solvers)]  # unknown names fail here, in one line
    if not entries:
        raise InterpctfError("name at least one solver (see 'interpctf solvers')")
    jobs = []
    for challenge in challenges:
        names = [e.name for e in entries if e.applies_to(challenge.kind)]
        jobs += [(name, challenge) for name in dict.fromkeys([*names, *ANCHORS])]
    return jobs


def run_bench(solvers: list[str], suite: Suite, budget: SolverBudget, executor: str = "local",
              workers: int | None = None, progress: Progress | None = None) -> BenchReport:
    from interpctf.executor import get_executor

    suite = Suite(suite.name, distinct_ids(suite.challenges), suite.budget)
    jobs = plan(solvers, suite.challenges)
    raw: list[RunResult] = []
    with get_executor(executor, workers) as pool, \
            (progress or SilentProgress()).step(f"benchmark on {suite.name}", total=len(jobs)) as step:
        futures = [(name, ch, pool.submit(run_job, name, str(ch.bundle_dir), str(ch.key_path), ch.id,
                                          budget.model_dump_json())) for name, ch in jobs]
        for name, ch, future in futures:
            try:
                raw.append(RunResult.model_validate(future.result()))
            except Exception as exc:  # the worker itself broke: still a recorded failure
                raw.append(RunResult(solver=name, challenge=ch.id, status="error", seconds=0.0,
                                     error=f"job failed: {one_line(exc)}"[:500]))
            step.advance()
    return assemble(suite, executor, budget, raw, solvers)


def assemble(suite: Suite, executor: str, budget: SolverBudget, raw: list[RunResult], asked: list[str]) -> BenchReport:
    """Normalize every run against its challenge's anchors and summarize per solver."""
    by_key = {(r.solver, r.challenge): r for r in raw}
    infos, results = [], []
    for ch in suite.challenges:
        floor, top = (by_key.get((a, ch.id)) for a in ANCHORS)
        floor_score = floor.raw_score if floor and floor.status == "ok" else None
        top_score = top.raw_score if top and top.status == "ok" else None
        infos.append(ChallengeInfo(id=ch.id, kind=ch.kind, path=str(ch.bundle_dir.parent),
                                   trivial_score=floor_score, reference_score=top_score))
        for name in dict.fromkeys(asked):
            run = by_key.get((name, ch.id))
            if run is None:
                continue
            if run.status == "ok" and floor_score is not None and top_score is not None:
                run = run.model_copy(update={"normalized": normalize(run.raw_score, floor_score, top_score)})
            results.append(run)
    return BenchReport(suite=suite.name, executor=executor, budget=budget, challenges=infos, results=results,
                       summary=summarize(results))


def summarize(results: list[RunResult]) -> list[SolverSummary]:
    out = []
    for name in dict.fromkeys(r.solver for r in results):
        runs = [r for r in results if r.solver == name]
        raws = [r.raw_score for r in runs if r.raw_score is not None]
        out.append(SolverSummary(solver=name, access=get_solver(name).access, runs=len(runs),
                                 solved=sum(bool(r.solved) for r in runs),
                                 failures=sum(r.status != "ok" for r in runs),
                                 mean_normalized=mean_normalized([r.normalized for r in runs]),
                                 mean_raw=sum(raws) / len(raws) if raws else None))
    return out
