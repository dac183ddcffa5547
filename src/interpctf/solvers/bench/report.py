"""Writing a benchmark report: ``results.json``, ``results.md`` (markdown tables) and ``results.png``."""

from pathlib import Path

from interpctf.solvers.bench.schema import BenchReport


def _f(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def markdown(report: BenchReport) -> str:
    lines = [f"# Solver benchmark: suite `{report.suite}`", "",
             f"Budget per challenge: {report.budget.seconds:g} s"
             + (f", {report.budget.max_queries} model queries" if report.budget.max_queries else "")
             + f"; executor `{report.executor}`. Normalized score: trivial answer 0, the key's own answer 1.", "",
             "| solver | access | runs | solved | failures | mean normalized | mean raw |",
             "|---|---|---|---|---|---|---|"]
    for s in report.summary:
        lines.append(f"| {s.solver} | {s.access} | {s.runs} | {s.solved} | {s.failures} | "
                     f"{_f(s.mean_normalized)} | {_f(s.mean_raw)} |")
    lines += ["", "| challenge | kind | solver | status | raw | normalized | solved | seconds |",
              "|---|---|---|---|---|---|---|---|"]
    kinds = {c.id: c.kind for c in report.challenges}
    for r in report.results:
        status = r.status if not r.error else f"{r.status}: {r.error[:80]}"
        lines.append(f"| {r.challenge} | {kinds.get(r.challenge, '')} | {r.solver} | {status} | {_f(r.raw_score, 4)} | "
                     f"{_f(r.normalized)} | {'yes' if r.solved else 'no'} | {r.seconds:.1f} |")
    return "\n".join(lines) + "\n"


def write_report(report: BenchReport, out_dir: Path) -> dict[str, Path]:
    from interpctf.solvers.bench.plot import plot_report

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "results.json", "markdown": out_dir / "results.md", "plot": out_dir / "results.png"}
    paths["json"].write_text(report.model_dump_json(indent=1))
    paths["markdown"].write_text(markdown(report))
    plot_report(report, paths["plot"])
    return paths
