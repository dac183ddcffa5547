"""An agent's session on a lab task, apart from Inspect: its workspace (files confined to one folder), its
experiments counted from the runs store (the trusted record, not a counter the agent could reset), and the lab
calls its tools make. Every error an agent can cause is an InterpctfError with one line."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from interpctf.errors import InterpctfError
from interpctf.lab.code.host import CodeRunFailed
from interpctf.lab.code.wire import MAX_CODE_BYTES
from interpctf.lab.store import Participant, RunRecord, RunStore

MAX_FILE_BYTES = MAX_CODE_BYTES  # a config or a module
MAX_FILES = 100
PLOTS = ("frontier", "dead")


def workspace_file(root: Path, rel: str, create: bool = False) -> Path:
    """``rel`` inside ``root``: relative, no ``..``, no link on the way, still inside once resolved. With
    ``create`` its folders are made (up to MAX_FILES files in all); without, it must be an existing file."""
    pure = PurePosixPath(rel)
    if not rel or "\x00" in rel or pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise InterpctfError(f"path: {rel!r} must be a relative path inside your workspace, e.g. config.yaml")
    target, step = root / pure, root
    for part in pure.parts:
        step = step / part
        if step.is_symlink():
            raise InterpctfError(f"path: {rel} goes through a link; write plain files only")
    if not target.resolve().is_relative_to(root.resolve()):
        raise InterpctfError(f"path: {rel} is outside your workspace")
    if create:
        if not target.exists() and sum(1 for p in root.rglob("*") if p.is_file()) >= MAX_FILES:
            raise InterpctfError(f"path: the workspace already holds {MAX_FILES} files")
        if target.is_dir():
            raise InterpctfError(f"path: {rel} is a folder")
        target.parent.mkdir(parents=True, exist_ok=True)
    elif not target.is_file():
        raise InterpctfError(f"path: {rel} is not a file in your workspace; write it with write_file first")
    return target


@dataclass
class AgentWorkspace:
    task: str
    runs_dir: str
    participant: str
    session_id: str
    max_experiments: int
    max_seconds: float | None
    workspace: Path
    options: dict[str, Any] | None = None  # the task's own options (sae-lm: model, hook, corpus)
    started: float = field(default_factory=time.time)  # the sample's start: runs are placed in time from it

    @classmethod
    def open(cls, task: str, runs_dir: str | None, participant: str, session_id: str, max_experiments: int,
             max_seconds: float | None, options: dict[str, Any] | None = None) -> "AgentWorkspace":
        store = RunStore(runs_dir)
        workspace = store.root / "workspaces" / session_id
        workspace.mkdir(parents=True, exist_ok=True)
        return cls(task, str(store.root), participant, session_id, max_experiments, max_seconds, workspace,
                   options)

    def _store(self) -> RunStore:
        return RunStore(self.runs_dir)

    def used(self) -> int:
        return len(self._store().session_runs(self.session_id))

    def _mine(self, run_id: int, completed: bool = True) -> RunRecord:
        rec = self._store().get(int(run_id))
        if rec.session_id != self.session_id:
            raise InterpctfError(f"run_id: run {run_id} is not one of your runs; list yours with list_runs")
        if completed and rec.failure is not None:
            raise InterpctfError(f"run_id: run {run_id} failed ({rec.failure}); it has no results")
        return rec

    def run(self, config: str | None, code: str | None) -> dict[str, Any]:
        """One experiment, refused once the budget is spent; a run the code breaks counts, a bad config not
        (nothing ran)."""
        from interpctf.lab import runner

        used = self.used()
        if used >= self.max_experiments:
            raise InterpctfError(f"experiment budget used up ({used} of {self.max_experiments} runs); submit one "
                                 "of your runs")
        config_path = workspace_file(self.workspace, config) if config else None
        code_path = workspace_file(self.workspace, code) if code else None
        try:
            result = runner.run(self.task, config_path, code=code_path, runs_dir=self.runs_dir,
                                max_seconds=self.max_seconds, task_options=self.options,
                                participant=Participant(self.participant, "agent", self.session_id,
                                                        time.time() - self.started, used + 1))
        except CodeRunFailed as exc:
            raise InterpctfError(f"{exc} (counted: {self.used()} of {self.max_experiments} experiments used)") \
                from None
        used = self.used()
        return {**result.flat(), "experiments_used": used, "experiments_left": self.max_experiments - used}

    def describe(self, run_id: int) -> dict[str, Any]:
        rec = self._mine(run_id, completed=False)
        return {"run_id": rec.id, "status": "failed" if rec.failure else "completed", "failure": rec.failure,
                "config": rec.config, "validation_metrics": rec.metrics, "score": rec.score,
                "score_note": rec.score_note, "steps": rec.steps, "stopped": rec.stopped,
                "duration_s": round(rec.duration_s, 3), "submitted": rec.test_score is not None}

    def plot(self, run_id: int, which: str) -> tuple[Path, str]:
        from interpctf.lab.plots import write_plots

        if which not in PLOTS:
            raise InterpctfError(f"plot: {which!r} is not one of {', '.join(PLOTS)}")
        rec = self._mine(run_id)
        m = rec.metrics
        if "l0" not in m or "explained_variance" not in m:
            raise InterpctfError(f"plot: {rec.task}'s runs have no sparsity plots; read their metrics instead")
        frontier, dead = write_plots(self._store(), rec.id)
        if which == "frontier":
            n = len(self._store().list(rec.task, rec.board))
            return frontier, (f"run {rec.id}: L0 {m.get('l0', float('nan')):.2f}, explained variance "
                              f"{m.get('explained_variance', float('nan')):.3f}, among {n} runs of {rec.task}")
        return dead, f"run {rec.id}: dead fraction {m.get('dead_fraction', float('nan')):.3f}"

    def overview(self) -> dict[str, Any]:
        runs = self._store().session_runs(self.session_id)
        return {"runs": [{"run_id": r.id, "status": "failed" if r.failure else "completed", "score": r.score,
                          "architecture": r.config.get("architecture"), "failure": r.failure} for r in runs],
                "experiments_used": len(runs), "experiments_left": self.max_experiments - len(runs)}

    def submit(self, run_id: int) -> dict[str, Any]:
        from interpctf.lab import runner

        rec = self._mine(run_id)
        done = runner.submit(rec.id, self.runs_dir)
        return {"run_id": done.run_id, "test_metrics": done.test_metrics, "test_score": done.test_score}
