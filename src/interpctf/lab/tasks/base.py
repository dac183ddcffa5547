"""What a lab task is: instructions, a budget, data, metrics, and a score normalized between two anchor configs.

A task owns its data and its metrics, so a researcher (or an agent) changing the SAE cannot change how it is judged.
Validation metrics are what iteration sees; test metrics are computed once, by ``submit``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, ValidationError

from interpctf.errors import InterpctfError

from interpctf.lab.config import SAEConfig, parse_config
from interpctf.lab.metrics import normalized_score
from interpctf.lab.saes import SAE


class TaskBudget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_steps: int
    max_seconds: float
    max_width: int
    max_l0: float | None = None  # a sparser-than-this bar: denser SAEs reconstruct better and must not win by it
    max_memory_bytes: int = 4 << 30  # a code run's sandbox, all its processes together (torch maps ~1 GB)


@dataclass
class EvalSplit:
    x: torch.Tensor
    y: torch.Tensor
    extras: dict[str, Any] = field(default_factory=dict)


class TaskData(ABC):
    """The activations of one task: a training stream and fixed validation and test sets."""

    d_in: int
    d_out: int

    @abstractmethod
    def sample(self, batch_size: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """A training batch ``(x, y)``; ``y`` is ``x`` for an SAE and the MLP's output for a transcoder."""

    @abstractmethod
    def split(self, name: str) -> EvalSplit:
        """``val`` or ``test``."""


class Task(ABC):
    name: ClassVar[str]
    instructions: ClassVar[str]
    budget: ClassVar[TaskBudget]
    score_metric: ClassVar[str]
    metric_names: ClassVar[tuple[str, ...]]
    default_config: ClassVar[dict[str, Any]]
    baseline_config: ClassVar[dict[str, Any]]
    reference_config: ClassVar[dict[str, Any]]
    # Validation values of ``score_metric`` for the baseline and reference configs, measured with
    # ``interpctf lab calibrate TASK`` and written here so a run does not have to retrain both anchors.
    anchors: ClassVar[tuple[float, float]]
    # ids of the open-problems catalogue entries the task is a graded instance of (`interpctf problems`)
    problems: ClassVar[tuple[str, ...]] = ()
    # Options of the task itself (sae-lm: which model, site and corpus), or None for a task that takes none.
    options_model: ClassVar[type[BaseModel] | None] = None
    # The schema of the task's config: an SAE's by default; a task that trains something else (editability: a
    # language model) has its own, and runs its experiments itself (``run_experiment``/``submit_experiment``).
    config_model: ClassVar[type[BaseModel]] = SAEConfig

    def __init__(self, options: dict[str, Any] | None = None):
        options = {k: v for k, v in (options or {}).items() if v is not None}
        if options and self.options_model is None:
            raise InterpctfError(f"--{next(iter(options))}: task {self.name} takes no task options")
        self.options: Any = None
        if self.options_model is not None:
            try:
                self.options = self.options_model.model_validate(options)
            except ValidationError as err:
                first = err.errors()[0]
                msg = first["msg"].removeprefix("Value error, ")
                if not first["loc"] and ":" in msg.split(" ")[0]:  # a validator's message names its field
                    raise InterpctfError(f"--{msg}") from None
                field = ".".join(str(p) for p in first["loc"]) or "options"
                raise InterpctfError(f"--{field}: {msg}") from None

    def sae_metadata(self) -> dict[str, Any]:
        """What the saved SAE's cfg.json says it reads, under SAELens's metadata names."""
        return {"model_name": self.name, "hook_name": self.name}

    def config(self, data: dict[str, Any] | BaseModel | None = None) -> Any:
        """Validate a user config over the task's default one (in the task's ``config_model``)."""
        return parse_config(data, self.config_model.model_validate(self.default_config))

    def run_experiment(self, config: Any, **run_args: Any) -> Any:
        """A task with its own ``config_model`` runs, scores and records one experiment here and returns the
        runner's RunResult (``run_args`` are :func:`interpctf.lab.runner.run`'s). NotImplemented: the SAE path."""
        return NotImplemented

    def submit_experiment(self, record: Any, store: Any, threads: int | None) -> Any:
        """Such a task's test metrics and score for a stored run (``lab submit``). NotImplemented: the SAE path."""
        return NotImplemented

    @abstractmethod
    def load_data(self, config: SAEConfig, cache_dir: Path) -> TaskData:
        """Build (or load from ``cache_dir``) the activations; may raise InterpctfError for unsupported options."""

    @abstractmethod
    def evaluate(self, sae: SAE, data: TaskData, split: str) -> tuple[dict[str, float], dict[str, Any]]:
        """Metrics on a split (flat floats) and per-item arrays worth keeping as artifacts."""

    def code_inputs(self, split: str) -> list[str]:
        """The splits whose inputs ``evaluate(sae, data, split)`` encodes: a code run's sandbox encodes exactly
        these (their inputs, never their labels or ground truth)."""
        return [split]

    def score(self, metrics: dict[str, float]) -> tuple[float, str | None]:
        """The normalized score and, when a budget bar was broken, why the score was capped at 0."""
        value = normalized_score(metrics[self.score_metric], *self.anchors)
        if self.budget.max_l0 is not None and metrics.get("l0", 0.0) > self.budget.max_l0:
            return min(value, 0.0), f"L0 {metrics['l0']:.1f} is over the task's bar of {self.budget.max_l0:g}"
        return value, None

    def describe(self) -> dict[str, Any]:
        return {
            "task": self.name,
            "instructions": self.instructions.strip(),
            "budget": self.budget.model_dump(),
            "score": f"{self.score_metric}: 0 at the baseline config ({self.anchors[0]:.4f}), "
                     f"1 at the reference config ({self.anchors[1]:.4f})",
            "metrics": list(self.metric_names),
            "default_config": self.config().model_dump(mode="json"),
            "config_schema": self.config_model.model_json_schema(),
        }
