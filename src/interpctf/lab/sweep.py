"""Sweeps: many runs of one task, in parallel on an executor (local process pool by default, Ray to scale out).

Grid file (YAML)::

    base: {architecture: topk, steps: 500}   # optional, over the task's default config
    grid: {k: [4, 7, 10], lr: [0.001, 0.003]}
    seeds: [0]                                # optional

``--optuna N`` searches learning rate and k (TopK-style) or the sparsity coefficient (others) with a seeded TPE
sampler, running as many trials at once as there are workers; each trial is an ordinary recorded run.
"""

from __future__ import annotations

import itertools
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from interpctf.errors import InterpctfError
from interpctf.executor import get_executor
from interpctf.lab.config import parse_config
from interpctf.lab.runner import RunResult, resolve_config, run
from interpctf.lab.saes import architecture
from interpctf.lab.tasks import get_task

JobDone = Callable[[RunResult], None]


class GridSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base: dict[str, Any] = {}
    grid: dict[str, list[Any]]
    seeds: list[int] = [0]


def load_grid(path: str | Path) -> GridSpec:
    try:
        return GridSpec.model_validate(yaml.safe_load(Path(path).read_text()))
    except FileNotFoundError:
        raise InterpctfError(f"grid file {path} not found") from None
    except (yaml.YAMLError, ValidationError) as err:
        raise InterpctfError(f"bad grid file {path}: {' '.join(str(err).split())[:300]}") from None


def grid_configs(task: str, spec: GridSpec) -> list[dict[str, Any]]:
    """Every combination, each validated now so a bad value fails before any run starts."""
    base = resolve_config(task, spec.base or None).model_dump()
    keys = list(spec.grid)
    out = []
    for values in itertools.product(*(spec.grid[k] for k in keys)):
        for seed in spec.seeds:
            cfg = {**base, **dict(zip(keys, values)), "seed": seed}
            out.append(get_task(task).config(cfg).model_dump(mode="json"))
    return out


def _job(task: str, config: dict[str, Any], runs_dir: str | None, threads: int | None) -> dict[str, Any]:
    # Module level so the spawn and Ray backends can pickle it; returns a plain dict for the same reason.
    return run(task, config, runs_dir=runs_dir, threads=threads).model_dump()


def sweep(task: str, configs: list[dict[str, Any]], *, executor: str = "local", workers: int | None = None,
          runs_dir: str | Path | None = None, threads: int | None = None, on_done: JobDone | None = None
          ) -> list[RunResult]:
    results: list[RunResult] = []
    rd = str(runs_dir) if runs_dir else None
    with get_executor(executor, workers) as ex:
        pending = {ex.submit(_job, task, cfg, rd, threads) for cfg in configs}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                result = RunResult.model_validate(fut.result())
                results.append(result)
                if on_done:
                    on_done(result)
    return sorted(results, key=lambda r: -r.score)


def _suggest(trial, base: dict[str, Any], task_name: str) -> dict[str, Any]:
    task = get_task(task_name)
    cfg = dict(base)
    cfg["lr"] = trial.suggest_float("lr", 3e-4, 1e-2, log=True)
    if architecture(cfg["architecture"]).needs_k:
        hi = int(task.budget.max_l0 or 32)
        cfg["k"] = trial.suggest_int("k", 1, hi)
    else:
        cfg["sparsity_coefficient"] = trial.suggest_float("sparsity_coefficient", 1e-3, 1.0, log=True)
    return parse_config(cfg).model_dump(mode="json")


def optuna_sweep(task: str, n_trials: int, base: dict[str, Any] | str | Path | None = None, *,
                 executor: str = "local", workers: int | None = None, runs_dir: str | Path | None = None,
                 threads: int | None = None, seed: int = 0, on_done: JobDone | None = None) -> list[RunResult]:
    try:
        import optuna
    except ImportError:
        raise InterpctfError("--optuna needs optuna: pip install 'interpctf[lab]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    base_cfg = resolve_config(task, base).model_dump()
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    results: list[RunResult] = []
    rd = str(runs_dir) if runs_dir else None
    with get_executor(executor, workers) as ex:
        width = getattr(ex, "max_workers", None) or workers or 2
        running: dict[Any, Any] = {}
        asked = 0
        while asked < n_trials or running:
            while asked < n_trials and len(running) < width:
                trial = study.ask()
                running[ex.submit(_job, task, _suggest(trial, base_cfg, task), rd, threads)] = trial
                asked += 1
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                trial = running.pop(fut)
                result = RunResult.model_validate(fut.result())
                study.tell(trial, result.score)
                results.append(result)
                if on_done:
                    on_done(result)
    return sorted(results, key=lambda r: -r.score)
