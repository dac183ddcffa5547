"""``interpctf lab session start|status|stop``, and what ``lab run`` / ``lab submit`` ask of an active session."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="A person's timed session on a lab task: the same commands an agent has, runs recorded as "
                       "human with wall time and experiment count.", no_args_is_help=True)

RunsDir = typer.Option(None, "--runs-dir", help="runs store (default $INTERPCTF_LAB_DIR or ./.interpctf/lab)")


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's uid)
        return "human"


@app.command()
def start(task: str, budget: str = typer.Option("2h", "--budget", help="wall-clock budget: 2h, 90m, 1h30m, 45s"),
          name: Optional[str] = typer.Option(None, "--name", help="the participant (default: your user name)"),
          runs_dir: Optional[Path] = RunsDir) -> None:
    """Start a session on TASK: until it stops, `lab run`/`lab submit` on TASK count against its budget."""
    from interpctf.lab.sessions import SessionStore, format_duration, parse_budget

    budget_s = parse_budget(budget)
    session = SessionStore(runs_dir).start(task, budget_s, (name or _who()).strip()[:80] or "human")
    typer.echo(f"session {session.id} started: {session.participant} on {task}, budget {format_duration(budget_s)}.\n"
               f"  interpctf lab task {task}                  # instructions, budget, default config\n"
               f"  interpctf lab run {task} --config c.yaml   # one experiment (its time budget is capped at what "
               "the session has left)\n"
               f"  interpctf lab runs {task}                  # leaderboard\n"
               "  interpctf lab submit RUN                   # test metrics of one of this session's runs\n"
               "  interpctf lab session status | stop\n"
               f"  interpctf report compare --task {task}     # you against the agents, afterwards")


@app.command()
def status(runs_dir: Optional[Path] = RunsDir, as_json: bool = typer.Option(False, "--json")) -> None:
    """The active session: time used and left, experiments so far, best score."""
    from interpctf.lab.sessions import SessionStore, format_duration
    from interpctf.lab.store import RunStore

    session = SessionStore(runs_dir).active()
    if session is None:
        typer.echo(json.dumps(None) if as_json else "no lab session is active")
        return
    runs = RunStore(runs_dir).session_runs(session.id)
    scores = [r.score for r in runs if r.score is not None]
    info = {**session.model_dump(), "elapsed_s": round(session.elapsed(), 1),
            "remaining_s": round(max(session.remaining(), 0.0), 1), "experiments": len(runs),
            "best_score": max(scores) if scores else None}
    if as_json:
        typer.echo(json.dumps(info))
        return
    best = "-" if info["best_score"] is None else f"{info['best_score']:.3f}"
    typer.echo(f"session {session.id}: {session.participant} on {session.task}; "
               f"{format_duration(session.elapsed())} used of {format_duration(session.budget_s)} "
               f"({format_duration(max(session.remaining(), 0.0))} left); {len(runs)} experiments; best score {best}")


@app.command()
def stop(runs_dir: Optional[Path] = RunsDir) -> None:
    """Stop the active session."""
    from interpctf.lab.sessions import SessionStore, format_duration
    from interpctf.lab.store import RunStore

    session = SessionStore(runs_dir).stop()
    n = len(RunStore(runs_dir).session_runs(session.id))
    typer.echo(f"session {session.id} stopped after {format_duration(session.elapsed())} and {n} experiments")


def run_guard(runs_dir: Optional[Path], task: str, max_seconds: Optional[float]):
    """(participant, max_seconds) for a `lab run` now: the active session's, its time budget capped at what the
    session has left; (None, max_seconds) without one. Raises on another task or a spent budget."""
    from interpctf.lab.sessions import SessionStore, participant_for_run
    from interpctf.lab.store import RunStore

    session = SessionStore(runs_dir).active()
    if session is None:
        return None, max_seconds
    who = participant_for_run(session, RunStore(runs_dir), task)
    left = session.remaining()
    return who, left if max_seconds is None else min(max_seconds, left)


def submit_guard(runs_dir: Optional[Path], run: int) -> None:
    from interpctf.lab.sessions import SessionStore, check_submit
    from interpctf.lab.store import RunStore

    session = SessionStore(runs_dir).active()
    if session is not None:
        check_submit(session, RunStore(runs_dir).get(run))
