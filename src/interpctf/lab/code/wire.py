"""What the host and a code run's sandbox share: the job's spec and report, the data frames, and the mounts.

The report is the job's claim about itself; the host takes from it only the training losses to show and the
``stopped`` note, and checks every figure it records (steps against what it fed, arrays from their headers).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

WORKSPACE = "/work"
CODE_FILE = "sae.py"  # the agent's module, in the workspace
INPUT_DIR = "in"  # inputs the job encodes: {split}_x.npy, and for encode jobs the weights
OUTPUT_DIR = "out"  # what the job returns: weights.safetensors, {split}_codes.npy
WEIGHTS_FILE = "weights.safetensors"
JOB_MODULE = "interpctf.lab.code.job"
MAX_CODE_BYTES = 256 << 10

# Of the package, the sandbox mounts only what trains an SAE: no task, data generator, metric or scoring code.
PACKAGE_FILES = ["__init__.py", "errors.py", "registry.py", "lab/config.py", "lab/train.py",
                 "lab/saes/__init__.py", "lab/saes/base.py", "lab/saes/custom.py", "lab/saes/relu.py",
                 "lab/saes/topk.py", "lab/saes/sparse_ops.py", "lab/saes/jumprelu.py", "lab/saes/gated.py",
                 "lab/code/__init__.py", "lab/code/wire.py", "lab/code/job.py", "sandbox/confine.py",
                 "sandbox/worker.py"]
# Package __init__ modules whose imports would reach what is not mounted: empty inside.
EMPTY_FILES = ["lab/__init__.py", "sandbox/__init__.py"]


class SandboxedJob(BaseModel):
    """What every lab job's spec carries: its threads, its limits and its channels (the editability task's job
    shares it)."""

    model_config = ConfigDict(extra="forbid")
    threads: int = Field(1, ge=1, le=64)
    cpu_seconds: float
    memory_bytes: int
    processes: int
    file_bytes: int
    uid: int
    report_fd: int
    data_fd: int


class JobSpec(SandboxedJob):
    action: Literal["train", "encode"]
    config: dict
    d_in: int = Field(ge=1)
    d_out: int = Field(ge=1)
    steps: int = Field(ge=0)  # batches after the scale batches; the host sends no more
    norm_batches: int = Field(ge=0)
    max_steps: int = Field(ge=1)
    max_seconds: float = Field(gt=0)
    splits: list[str]


class JobReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    error: str = Field("", max_length=500)
    steps: int = Field(0, ge=0)
    stopped: str | None = Field(None, max_length=500)
    losses: dict[str, float | None] = Field(default_factory=dict, max_length=16)  # None: not finite
