"""Run a task with a config, record it, and submit it once for test metrics. The CLI and sweeps call these."""

from __future__ import annotations

import functools
import json
import subprocess
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from pydantic import BaseModel

from interpctf import __version__
from interpctf.errors import InterpctfError
from interpctf.lab.code.host import CodeRunFailed, encode_code, load_code_sae, read_code, save_code_sae, train_code
from interpctf.lab.config import SAEConfig, load_config_file
from interpctf.lab.saelens_io import load_sae, save_sae
from interpctf.lab.store import Participant, RunStore, board_name
from interpctf.lab.tasks import get_task
from interpctf.lab.train import ProgressFn, train

# One thread by default: on two cores shared with other jobs, torch's two-thread parallel regions stall whenever the
# other core is busy (measured: 10x slower small matmuls), and sweeps run one single-threaded run per core anyway.
DEFAULT_THREADS = 1
TASK_OPTIONS_FILE = "task_options.json"


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
        threads: int | None = None, max_seconds: float | None = None, code: str | Path | None = None,
        task_options: dict[str, Any] | None = None, participant: Participant | None = None) -> RunResult:
    """Train one SAE on ``task`` with ``config`` (a dict, an SAEConfig, a YAML path, or None for the task's default),
    measure it on validation activations, and record it in the runs store (unless ``record`` is False).

    ``code``: a Python module defining the SAE (a subclass of :class:`interpctf.lab.saes.custom.CustomSAE`); it is
    trained in the sandbox (:mod:`interpctf.lab.code.host`) and a run it breaks is recorded as failed, with the
    reason, and raised as :class:`CodeRunFailed`. ``task_options``: the task's own (sae-lm: ``model``, ``hook``,
    ``corpus``), kept with the run's artifacts for ``submit``. ``max_seconds`` may only lower the time budget.
    ``participant``: who runs it (a session's person or agent, its elapsed time at the start); the run's own wall
    time is added when it finishes, so the recorded time is when its result came in."""
    t = get_task(task, task_options)
    own = t.run_experiment(config, seed=seed, runs_dir=runs_dir, progress=progress, record=record, threads=threads,
                           max_seconds=max_seconds, code=code, task_options=task_options)
    if own is not NotImplemented:  # a task that trains something other than an SAE
        return own
    task_options = {k: v for k, v in (task_options or {}).items() if v is not None}
    source = read_code(code) if code is not None else None
    cfg = resolve_config(task, config)
    overrides: dict[str, Any] = {} if seed is None else {"seed": seed}
    if source is not None:
        overrides["architecture"] = "code"
    if overrides:
        cfg = t.config({**cfg.model_dump(), **overrides})
    if cfg.width > t.budget.max_width:
        raise InterpctfError(f"bad lab config: width: {cfg.width} is over {task}'s cap of {t.budget.max_width}")
    budget = t.budget
    if max_seconds is not None:
        budget = budget.model_copy(update={"max_seconds": min(max_seconds, budget.max_seconds)})
    store = RunStore(runs_dir)
    run_id = store.reserve(task, cfg.model_dump(mode="json"), cfg.hash(), cfg.seed, __version__, git_commit(),
                           board_name(task_options)) if record else None
    started = time.time()

    def tag() -> None:  # also a failed run: it used an experiment and time of the session
        if run_id is not None and participant is not None:
            elapsed = None if participant.elapsed_s is None else participant.elapsed_s + time.time() - started
            store.set_participant(run_id, replace(participant, elapsed_s=elapsed))

    tag()
    try:
        with _threads(threads):
            data = t.load_data(cfg, store.root / "cache")
            if source is None:
                result = train(cfg, data, budget, progress)
                sae, trained = result.sae, (result.steps, result.seconds, result.stopped)
            else:
                inputs = {name: data.split(name).x for name in t.code_inputs("val")}
                code_run = train_code(source, cfg, data, budget, inputs, store.root / "work",
                                      threads or DEFAULT_THREADS)
                sae, trained = code_run.sae, (code_run.steps, code_run.seconds, code_run.stopped)
            metrics, arrays = t.evaluate(sae, data, "val")
        steps, seconds, stopped = trained
        score, note = t.score(metrics)
        artifacts = None
        if record:
            out = store.artifacts_dir(run_id)
            meta = t.sae_metadata()
            out.mkdir(parents=True, exist_ok=True)
            if task_options:
                (out / TASK_OPTIONS_FILE).write_text(json.dumps(task_options, indent=2))
            if source is None:
                save_sae(result.sae, out / "sae", meta)
            else:
                save_code_sae(out / "sae", source, code_run.weights, cfg, data.d_in, data.d_out, meta)
            np.savez(out / "val_arrays.npz", n_samples=data.split("val").x.shape[0], **arrays)
            (out / "val_metrics.json").write_text(json.dumps(metrics, indent=2))
            artifacts = str(out)
            store.complete(run_id, metrics=metrics, score=score, score_note=note, stopped=stopped,
                           steps=steps, duration_s=seconds, artifacts_path=artifacts)
            tag()
    except CodeRunFailed as exc:
        if run_id is not None:
            store.fail(run_id, str(exc))
            tag()
        raise CodeRunFailed(f"run {run_id} failed: {exc}" if run_id is not None else str(exc)) from None
    except BaseException:
        if run_id is not None:
            store.delete(run_id)
        raise
    return RunResult(run_id=run_id, task=task, config=cfg.model_dump(mode="json"), config_hash=cfg.hash(),
                     seed=cfg.seed, metrics=metrics, score=score, score_note=note, stopped=stopped,
                     steps=steps, duration_s=seconds, artifacts_path=artifacts,
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
        options_file = Path(rec.artifacts_path) / TASK_OPTIONS_FILE
        t = get_task(rec.task, json.loads(options_file.read_text()) if options_file.is_file() else None)
        own = t.submit_experiment(rec, store, threads)
        if own is not NotImplemented:
            metrics, score = own
            first = store.set_test(run_id, metrics, score)
            rec = store.get(run_id)
            return Submission(run_id=run_id, task=rec.task, test_metrics=rec.test_metrics,
                              test_score=rec.test_score, first_submission=first)
        cfg = t.config(rec.config)
        with _threads(threads):
            data = t.load_data(cfg, store.root / "cache")
            saved = load_code_sae(Path(rec.artifacts_path) / "sae")
            if saved is None:
                sae = load_sae(Path(rec.artifacts_path) / "sae")
            else:  # a code SAE encodes the test inputs in the sandbox, as it did the validation ones
                inputs = {name: data.split(name).x for name in t.code_inputs("test")}
                sae = encode_code(saved[0], cfg, saved[1], data.d_in, data.d_out, inputs, store.root / "work",
                                  threads or DEFAULT_THREADS, t.budget.max_memory_bytes)
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
