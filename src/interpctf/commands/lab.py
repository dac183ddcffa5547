"""``interpctf lab ...``: thin commands over :mod:`interpctf.lab`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from interpctf.commands import lab_session

app = typer.Typer(help="The lab: SAE experiments with ground-truth metrics, a runs store and sweeps.",
                  no_args_is_help=True)
app.add_typer(lab_session.app, name="session")

RunsDir = typer.Option(None, "--runs-dir", help="runs store (default $INTERPCTF_LAB_DIR or ./.interpctf/lab)")
Threads = typer.Option(None, "--threads", help="torch threads per run (default 1)")


_SHORT = {"explained_variance": "EV", "dead_fraction": "dead", "mean_recall": "recall", "ce_loss_recovered": "CE rec",
          "accuracy_recovered": "acc rec", "class_purity": "purity", "sparse_probe_accuracy": "probe"}


def _out() -> Console:
    # Piped output (an agent reading tables) gets a wide table instead of rich's 80-column default.
    return Console() if sys.stdout.isatty() else Console(width=160)


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _bar(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.fields[info]}"), console=console, transient=True)


@app.command()
def tasks() -> None:
    """List the tasks with their budgets and score."""
    from interpctf.lab.tasks import task_classes

    table = Table("task", "score", "max steps", "max seconds", "max width", "max L0")
    for name, cls in task_classes().items():
        b = cls.budget
        table.add_row(name, cls.score_metric, str(b.max_steps), f"{b.max_seconds:g}", str(b.max_width),
                      "-" if b.max_l0 is None else f"{b.max_l0:g}")
    _out().print(table)


@app.command()
def task(name: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show a task's instructions, budget, default config and config schema."""
    from interpctf.lab.tasks import get_task

    info = get_task(name).describe()
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    c = _out()
    c.print(f"[bold]{name}[/bold]\n{info['instructions']}\n\nscore: {info['score']}\nbudget: {info['budget']}")
    c.print("default config:", info["default_config"])


# sae-lm's task options; runs with other options than the shipped ones have a leaderboard of their own.
ModelOption = typer.Option(None, "--model", help="sae-lm: a Hugging Face causal LM id or folder")
HookOption = typer.Option(None, "--hook", help="sae-lm: a site, e.g. blocks.6.hook_resid_post")
CorpusOption = typer.Option(None, "--corpus", help="sae-lm: a text file or a datasets name")
TaskOption = typer.Option([], "--option", help="a task option KEY=VALUE, repeatable (editability: n_subjects, "
                          "n_edits, stats_docs); runs with other options are ranked apart")


@app.command("run")
def run_cmd(task: str, config: Optional[Path] = typer.Option(None, "--config", help="YAML config over the default"),
            seed: Optional[int] = typer.Option(None, "--seed"), as_json: bool = typer.Option(False, "--json"),
            runs_dir: Optional[Path] = RunsDir, threads: Optional[int] = Threads,
            max_seconds: Optional[float] = typer.Option(None, "--max-seconds", help="lower the time budget"),
            code: Optional[Path] = typer.Option(None, "--code", help="a Python module defining the SAE (a subclass "
                                                "of interpctf.lab.saes.custom.CustomSAE), trained in the sandbox"),
            model: Optional[str] = ModelOption, hook: Optional[str] = HookOption,
            corpus: Optional[str] = CorpusOption, option: list[str] = TaskOption) -> None:
    """Train one SAE on TASK and print its validation metrics (the run is recorded; a code run that fails is
    recorded as failed, with its one-line reason)."""
    from interpctf import lab
    from interpctf.lab.task_options import parse_task_options

    task_options = {"model": model, "hook": hook, "corpus": corpus, **parse_task_options(option)}
    who, max_seconds = lab_session.run_guard(runs_dir, task, max_seconds)  # an active session's, capped by it
    console = Console(stderr=True)
    with _bar(console) as bar:
        tid = bar.add_task(f"{task}: training", total=None, info="")

        def progress(step, total, losses):
            bar.update(tid, completed=step, total=total, info=f"loss {losses.get('loss', 0):.4f}")

        result = lab.run(task, config, seed=seed, runs_dir=runs_dir, progress=progress, threads=threads,
                         max_seconds=max_seconds, code=code,
                         task_options=task_options, participant=who)
    if as_json:
        typer.echo(json.dumps(result.flat()))
        return
    table = Table("metric", "validation", title=f"run {result.run_id} · {task} · config {result.config_hash}")
    for k, v in {**result.metrics, "score": result.score}.items():
        table.add_row(k, _fmt(v))
    out = _out()
    out.print(table)
    out.print(f"{result.steps} steps in {result.duration_s:.1f} s; artifacts: {result.artifacts_path}")
    for note in (result.stopped, result.score_note):
        if note:
            out.print(f"[yellow]note:[/yellow] {note}")


@app.command()
def runs(task: str, runs_dir: Optional[Path] = RunsDir, limit: int = typer.Option(20, "--limit"),
         as_json: bool = typer.Option(False, "--json"), model: Optional[str] = ModelOption,
         hook: Optional[str] = HookOption, corpus: Optional[str] = CorpusOption) -> None:
    """Leaderboard of TASK's runs, best validation score first (with --model/--hook/--corpus: of the runs made
    with those options, which are scored apart)."""
    from interpctf.lab.store import RunStore, board_name
    from interpctf.lab.tasks import get_task

    t = get_task(task)
    board = board_name({"model": model, "hook": hook, "corpus": corpus})
    records = RunStore(runs_dir).list(task, board)[:limit]
    if as_json:
        typer.echo(json.dumps([{"run_id": r.id, "score": r.score, "test_score": r.test_score, **r.metrics,
                                "architecture": r.config.get("architecture", "-"), "config_hash": r.config_hash}
                               for r in records]))
        return
    cols = ["run", "arch", "score", *(_SHORT.get(m, m) for m in t.metric_names), "test", "s", "note"]
    table = Table(*cols, title=f"{task}{' ' + board if board else ''} leaderboard (validation; test once submitted)")
    for r in records:
        note = ", ".join(n for n, on in (("budget", r.stopped), ("over L0", r.score_note)) if on)
        table.add_row(str(r.id), r.config.get("architecture", "-"), _fmt(r.score),
                      *(_fmt(r.metrics.get(m, float("nan"))) for m in t.metric_names),
                      "-" if r.test_score is None else _fmt(r.test_score), f"{r.duration_s:.0f}", note)
    out = _out()
    out.print(table)
    for r in RunStore(runs_dir).failed(task, board)[:limit]:  # on no leaderboard, but not hidden
        out.print(f"run {r.id} failed: {r.failure}")


@app.command()
def show(run: int, runs_dir: Optional[Path] = RunsDir) -> None:
    """Write RUN's plots (L0 vs explained-variance frontier, dead-latent histogram) as PNG and print its record."""
    from interpctf.lab.plots import write_plots
    from interpctf.lab.store import RunStore

    store = RunStore(runs_dir)
    rec = store.get(run)
    paths = write_plots(store, run)
    c = _out()
    c.print(f"run {rec.id} · {rec.task} · {rec.config.get('architecture', '-')} · config {rec.config_hash} · seed {rec.seed}")
    c.print({k: round(v, 4) for k, v in rec.metrics.items()})
    if rec.stopped:
        c.print(f"[yellow]note:[/yellow] {rec.stopped}")
    for p in paths:
        c.print(f"wrote {p}")


@app.command()
def submit(run: int, runs_dir: Optional[Path] = RunsDir, as_json: bool = typer.Option(False, "--json"),
           threads: Optional[int] = Threads) -> None:
    """Compute RUN's test metrics once (later calls return the stored ones)."""
    from interpctf import lab

    lab_session.submit_guard(runs_dir, run)
    sub = lab.submit(run, runs_dir=runs_dir, threads=threads)
    if as_json:
        typer.echo(json.dumps({**sub.test_metrics, "score": sub.test_score, "run_id": sub.run_id,
                               "first_submission": sub.first_submission}))
        return
    table = Table("metric", "test", title=f"run {run} test metrics"
                  + ("" if sub.first_submission else " (stored at the first submission)"))
    for k, v in {**sub.test_metrics, "score": sub.test_score}.items():
        table.add_row(k, _fmt(v))
    _out().print(table)


@app.command()
def sweep(task: str, grid: Optional[Path] = typer.Option(None, "--grid", help="YAML grid file"),
          optuna: Optional[int] = typer.Option(None, "--optuna", help="number of optuna trials"),
          config: Optional[Path] = typer.Option(None, "--config", help="base config for --optuna"),
          executor: str = typer.Option("local", "--executor", help="local (process pool), ray or inline"),
          workers: int = typer.Option(2, "--workers"), runs_dir: Optional[Path] = RunsDir,
          threads: Optional[int] = Threads, as_json: bool = typer.Option(False, "--json")) -> None:
    """Run many configs of TASK in parallel: a grid, or an optuna search."""
    from interpctf.errors import InterpctfError
    from interpctf.lab import sweep as sw

    if (grid is None) == (optuna is None):
        raise InterpctfError("give exactly one of --grid FILE or --optuna N")
    console = Console(stderr=True)
    with _bar(console) as bar:
        if grid is not None:
            configs = sw.grid_configs(task, sw.load_grid(grid))
            total = len(configs)
        else:
            total = optuna
        tid = bar.add_task(f"{task}: sweep on {executor}", total=total, info="")

        def done(r):
            bar.update(tid, advance=1, info=f"run {r.run_id}: score {r.score:.3f}")

        if grid is not None:
            results = sw.sweep(task, configs, executor=executor, workers=workers, runs_dir=runs_dir,
                               threads=threads, on_done=done)
        else:
            results = sw.optuna_sweep(task, optuna, config, executor=executor, workers=workers,
                                      runs_dir=runs_dir, threads=threads, on_done=done)
    if as_json:
        typer.echo(json.dumps([r.flat() for r in results]))
        return
    table = Table("run", "score", "l0", "explained_variance", "config", title=f"{task} sweep ({len(results)} runs)")
    varying = [k for k in (results[0].config if results else {})
               if len({json.dumps(r.config.get(k)) for r in results}) > 1] or ["architecture"]
    for r in results:
        changed = {k: r.config.get(k) for k in varying}
        table.add_row(str(r.run_id), _fmt(r.score), _fmt(r.metrics["l0"]), _fmt(r.metrics["explained_variance"]),
                      json.dumps(changed))
    _out().print(table)


@app.command()
def calibrate(task: str, threads: Optional[int] = Threads) -> None:
    """Measure TASK's score anchors (baseline and reference configs) on validation data."""
    from interpctf.lab.anchors import measure_anchors as cal

    typer.echo(json.dumps(cal(task, threads), indent=2))
