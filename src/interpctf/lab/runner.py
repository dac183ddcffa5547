"""Run a task with a config, record it, and submit it once for test metrics. The CLI and sweeps call these."""

from __future__ import annotations

import functools
import json
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from pydantic import BaseModel

from interpctf import __version__
from interpctf.errors import InterpctfError
from interpctf.lab.config import SAEConfig, load_config_file
from interpctf.lab.saelens_io import load_sae, save_sae
from interpctf.lab.store import RunStore
from interpctf.lab.tasks import get_task
from interpctf.lab.train import ProgressFn, train

# One thread by default: on two cores shared with other jobs, torch's two-thread parallel regions stall whenever the
# other core is busy (measured: 10x slower small matmuls), and sweeps run one single-threaded run per core anyway.
DEFAULT_THREADS = 1


class RunResult(BaseModel):
    run_id: int | None
    task: str
    config: dict[str, Any]
    config_hash: str
    seed: int
    metrics: dict[str, float]
    score: float
    score_note: str | None = None
    stopped: str | None = None
    steps: int
    duration_s: float
    artifacts_path: str | None
    package_version: str
    git_commit: str | None

    def flat(self) -> dict[str, Any]:
        """One flat JSON object: the metrics, the score, and what identifies the run."""
        return {**self.metrics, "score": self.score, "run_id": self.run_id, "task": self.task,
                "config_hash": self.config_hash, "seed": self.seed, "steps": self.steps,
                "duration_s": round(self.duration_s, 3), "stopped": self.stopped, "score_note": self.score_note}


@functools.cache
def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@contextmanager
def _threads(n: int | None) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(n or DEFAULT_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def resolve_config(task_name: str, config: dict[str, Any] | SAEConfig | str | Path | None) -> SAEConfig:
    task = get_task(task_name)
    if isinstance(config, (str, Path)):
        return load_config_file(config, task.config())
    return task.config(config)


def run(task: str, config: dict[str, Any] | SAEConfig | str | Path | None = None, *, seed: int | None = None,
        runs_dir: str | Path | None = None, progress: ProgressFn | None = None, record: bool = True,
        threads: int | None = None, max_seconds: float | None = None) -> RunResult:
    """Train one SAE on ``task`` with ``config`` (a dict, an SAEConfig, a YAML path, or None for the task's default),
    measure it on validation activations, and record it in the runs store (unless ``record`` is False).

    ``max_seconds`` may only lower the task's time budget, never raise it."""
    t = get_task(task)
    cfg = resolve_config(task, config)
    if seed is not None:
        cfg = t.config({**cfg.model_dump(), "seed": seed})
    if cfg.width > t.budget.max_width:
        raise InterpctfError(f"bad lab config: width: {cfg.width} is over {task}'s cap of {t.budget.max_width}")
    budget = t.budget
    if max_seconds is not None:
        budget = budget.model_copy(update={"max_seconds": min(max_seconds, budget.max_seconds)})
    store = RunStore(runs_dir)
    run_id = store.reserve(task, cfg.model_dump(mode="json"), cfg.hash(), cfg.seed, __version__, git_commit()) \
        if record else None
    try:
        with _threads(threads):
            data = t.load_data(cfg, store.root / "cache")
            result = train(cfg, data, budget, progress)
            metrics, arrays = t.evaluate(result.sae, data, "val")
        score, note = t.score(metrics)
        artifacts = None
        if record:
            out = store.artifacts_dir(run_id)
            save_sae(result.sae, out / "sae", {"model_name": task, "hook_name": task})
            np.savez(out / "val_arrays.npz", n_samples=data.split("val").x.shape[0], **arrays)
            (out / "val_metrics.json").write_text(json.dumps(metrics, indent=2))
            artifacts = str(out)
            store.complete(run_id, metrics=metrics, score=score, score_note=note, stopped=result.stopped,
                           steps=result.steps, duration_s=result.seconds, artifacts_path=artifacts)
    except BaseException:
        if run_id is not None:
            store.delete(run_id)
        raise
    return RunResult(run_id=run_id, task=task, config=cfg.model_dump(mode="json"), config_hash=cfg.hash(),
                     seed=cfg.seed, metrics=metrics, score=score, score_note=note, stopped=result.stopped,
                     steps=result.steps, duration_s=result.seconds, artifacts_path=artifacts,
                     package_version=__version__, git_commit=git_commit())


class Submission(BaseModel):
    run_id: int
    task: str
    test_metrics: dict[str, float]
    test_score: float | None
    first_submission: bool


def submit(run_id: int, runs_dir: str | Path | None = None, threads: int | None = None) -> Submission:
    """Compute a run's test metrics once and store them; later calls return the stored ones, never recompute."""
    store = RunStore(runs_dir)
    rec = store.get(run_id)
    if rec.test_metrics is None:
        t = get_task(rec.task)
        cfg = t.config(rec.config)
        with _threads(threads):
            sae = load_sae(Path(rec.artifacts_path) / "sae")
            data = t.load_data(cfg, store.root / "cache")
            metrics, _ = t.evaluate(sae, data, "test")
        score, _ = t.score(metrics)
        first = store.set_test(run_id, metrics, score)
        rec = store.get(run_id)
    else:
        first = False
    return Submission(run_id=run_id, task=rec.task, test_metrics=rec.test_metrics, test_score=rec.test_score,
                      first_submission=first)


def get_run(run_id: int, runs_dir: str | Path | None = None):
    return RunStore(runs_dir).get(run_id)
