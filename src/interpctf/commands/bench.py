"""Solver commands: ``solvers`` (list the registry) and ``bench`` (run solvers over a suite of challenges)."""

import json
from pathlib import Path

import typer

from interpctf.console import RichProgress


def register(app: typer.Typer) -> None:
    @app.command("solvers")
    def solvers_cmd(as_json: bool = typer.Option(False, "--json")):
        """List the registered solvers: name, the kind they solve, their access to the model."""
        from interpctf.solvers.registry import all_solvers

        rows = [{"name": s.name, "kind": s.kind or "any", "access": s.access, "description": s.description}
                for s in all_solvers().values()]
        if as_json:
            typer.echo(json.dumps(rows, indent=1))
            return
        for r in rows:
            typer.echo(f"{r['name']:<24} {r['kind']:<8} {r['access']:<10} {r['description']}")

    @app.command("bench")
    def bench_cmd(solvers: list[str] = typer.Argument(..., help="solver names (see 'interpctf solvers')"),
                  suite: str = typer.Option(..., "--suite", help="'reference', a suite YAML, or a folder of "
                                                                 "forged challenges"),
                  out: Path = typer.Option(Path("bench-results"), "--out", help="where results.json/.md/.png go"),
                  seconds: float = typer.Option(None, "--seconds", help="budget per challenge (default: the "
                                                                        "suite's, else 300)"),
                  max_queries: int = typer.Option(None, "--max-queries", help="model queries per challenge"),
                  executor: str = typer.Option("local", "--executor", help="local (process pool), ray or inline"),
                  workers: int = typer.Option(None, "--workers", help="parallel jobs (default 2)"),
                  as_json: bool = typer.Option(False, "--json", help="print the report as JSON on stdout"),
                  quiet: bool = typer.Option(False, "-q", help="no progress bars")):
        """Run solvers over a suite under per-challenge budgets; scores normalized between trivial (0) and key (1)."""
        from interpctf.solvers.bench.report import markdown, write_report
        from interpctf.solvers.bench.runner import plan, run_bench
        from interpctf.solvers.bench.suite import load_suite
        from interpctf.solvers.budget import parse_budget

        plan(solvers, [])  # unknown solver names fail before any forging
        progress = RichProgress(quiet or as_json)
        loaded = load_suite(suite, progress=progress)
        base = loaded.budget.model_dump() if loaded.budget else {}
        budget = parse_budget(**{**base, "seconds": seconds if seconds is not None else base.get("seconds"),
                                 "max_queries": max_queries if max_queries is not None else base.get("max_queries")})
        report = run_bench(solvers, loaded, budget, executor, workers, progress)
        paths = write_report(report, out)
        if as_json:
            typer.echo(report.model_dump_json(indent=1))
            return
        typer.echo(markdown(report))
        typer.echo("wrote " + "  ".join(str(p) for p in paths.values()))
