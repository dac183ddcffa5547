"""What the host and an editability code run's sandbox share: the job's spec and report, and the mounts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from interpctf.lab.code.wire import SandboxedJob

CODE_FILE = "hook.py"  # the agent's module, in the workspace: defines extra_loss(model, batch, outputs)
OUTPUT_DIR = "out"
JOB_MODULE = "interpctf.lab.editability.job"
# Of the package, the sandbox mounts only the training loop and its config: no world, edits, gate or scoring.
PACKAGE_FILES = ["__init__.py", "errors.py", "lab/editability/__init__.py", "lab/editability/config.py",
                 "lab/editability/train.py", "lab/editability/wire.py", "lab/editability/job.py",
                 "lab/code/__init__.py", "lab/code/wire.py", "lab/code/job.py",
                 "sandbox/confine.py", "sandbox/worker.py"]
EMPTY_FILES = ["lab/__init__.py", "sandbox/__init__.py"]


class JobSpec(SandboxedJob):
    config: dict
    vocab_size: int = Field(ge=1)
    n_positions: int = Field(ge=1)
    token_ids: tuple[int, int, int]  # pad, bos, eos
    steps: int = Field(ge=0)  # batches the host sends; no more
    max_seconds: float = Field(gt=0)


class JobReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    error: str = Field("", max_length=500)
    steps: int = Field(0, ge=0)
    stopped: str | None = Field(None, max_length=500)
    final_loss: float | None = None
