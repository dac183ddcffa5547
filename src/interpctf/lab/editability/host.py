"""The trusted side of an editability code run: lay out the workspace, feed the sandbox the training batches,
and read the weights it returns through :func:`interpctf.lab.editability.weights.read_weights`.

The agent's module (``extra_loss``) never runs here; the lab profile (:mod:`interpctf.sandbox.lab_profile`) mounts
only the training loop and its config, so neither the world's held-out paraphrases nor the edits can be read.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from interpctf.lab.code.host import CodeRunFailed
from interpctf.lab.editability.batches import FactStream
from interpctf.lab.editability.config import WorldModelConfig
from interpctf.lab.editability.weights import BadWeights, read_weights
from interpctf.lab.editability.wire import (CODE_FILE, EMPTY_FILES, JOB_MODULE, OUTPUT_DIR, PACKAGE_FILES,
                                            JobReport)
from interpctf.sandbox.lab_profile import LabBudget, LabJobFailed, run_lab_job

GRACE_SECONDS = 90.0  # starting Python, torch and transformers in the sandbox, and writing the weights


@dataclass
class SandboxTraining:
    model: object
    steps: int
    seconds: float
    stopped: str | None


def train_in_sandbox(source: str, cfg: WorldModelConfig, stream: FactStream, vocab_size: int, n_positions: int,
                     ids: tuple[int, int, int], max_seconds: float, memory_bytes: int, work_root: Path,
                     threads: int) -> SandboxTraining:
    """Train the config's model with the module's ``extra_loss`` in the sandbox; raise CodeRunFailed."""
    wall = max_seconds + GRACE_SECONDS
    budget = LabBudget(wall_seconds=wall, memory_bytes=memory_bytes, cpu_seconds=wall * threads + 10)

    def feed(write) -> int:
        for inputs, labels in stream.stream(cfg.steps):
            write(inputs.to(torch.int64).contiguous().numpy().tobytes()
                  + labels.to(torch.int64).contiguous().numpy().tobytes())
        return cfg.steps

    work_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="edit-", dir=work_root))
    os.chmod(work, 0o711)  # owned by the job's uid while it runs; bubblewrap must still enter it
    try:
        (work / CODE_FILE).write_text(source)
        (work / OUTPUT_DIR).mkdir()
        spec = {"config": cfg.model_dump(mode="json"), "vocab_size": vocab_size, "n_positions": n_positions,
                "token_ids": list(ids), "steps": cfg.steps, "max_seconds": max_seconds, "threads": threads,
                "cpu_seconds": budget.cpu_seconds, "memory_bytes": budget.memory_bytes,
                "processes": budget.processes, "file_bytes": budget.disk_bytes}
        try:
            outcome = run_lab_job(work, spec, budget, package_files=PACKAGE_FILES, empty_files=EMPTY_FILES,
                                  module=JOB_MODULE, feed=feed)
        except LabJobFailed as exc:
            raise CodeRunFailed(str(exc)) from None
        try:
            report = JobReport.model_validate_json(outcome.report)
        except ValueError:
            raise CodeRunFailed("the run's report is garbled") from None
        if report.error:
            raise CodeRunFailed(report.error)
        try:
            model = read_weights(work / OUTPUT_DIR / "model.safetensors", cfg, vocab_size, n_positions, ids,
                                 "the returned weights")
        except BadWeights as exc:
            raise CodeRunFailed(str(exc)) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # Steps are what the host fed, whatever the run says: it cannot have trained on batches it never got.
    return SandboxTraining(model, min(report.steps, outcome.fed), outcome.seconds, report.stopped)
