"""The trusted side of a code run: lay out the workspace, feed the sandbox its training batches, and check what
comes back before anything is measured.

The agent's module never runs here. What the sandbox returns is read in bounded memory from its headers first
(``interpctf.intake.arrays``): the weights (a safetensors file with ``W_dec`` (d_sae, d_out) and ``b_dec`` (d_out,)
at least) and, per input split, the codes (n, d_sae). Anything missing, malformed, of the wrong shape or not finite
fails the run with one line. The task then evaluates a :class:`CodesSAE`, which answers ``encode`` from those codes
and decodes them here, ``codes @ W_dec + b_dec``: every metric is computed on this side, by the task's own code.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from interpctf.errors import InterpctfError
from interpctf.intake.arrays import ArraySpec, read_npy_file, read_safetensors_header
from interpctf.lab.code.wire import (CODE_FILE, EMPTY_FILES, INPUT_DIR, JOB_MODULE, MAX_CODE_BYTES, OUTPUT_DIR,
                                     PACKAGE_FILES, WEIGHTS_FILE, JobReport)
from interpctf.lab.config import SAEConfig
from interpctf.lab.train import _NORM_BATCHES, run_steps, training_batches
from interpctf.sandbox.lab_profile import LabBudget, LabJobFailed, run_lab_job

# Wall seconds a job gets beyond the task's training budget: starting Python and torch in the sandbox, and
# encoding the inputs. The training loop stops itself at the budget; this is the hard stop when it does not.
GRACE_SECONDS = 60.0
ENCODE_SECONDS = 120.0  # an encode-only job (``lab submit``)


class CodeRunFailed(InterpctfError):
    """A code run that broke a rule or a budget; the message is the one line recorded with the run."""


def read_code(path: str | Path) -> str:
    """The module's source: a UTF-8 file of at most MAX_CODE_BYTES that compiles (compiling runs nothing)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise InterpctfError(f"--code: {path} cannot be read; give the path of a Python file") from None
    if size > MAX_CODE_BYTES:
        raise InterpctfError(f"--code: {path} is {size} bytes; at most {MAX_CODE_BYTES} are accepted")
    try:
        source = path.read_text(encoding="utf-8")
        compile(source, str(path), "exec", dont_inherit=True)
    except UnicodeDecodeError:
        raise InterpctfError(f"--code: {path} is not UTF-8 text") from None
    except SyntaxError as err:
        raise InterpctfError(f"--code: {path} line {err.lineno}: {err.msg}") from None
    return source


class CodesSAE:
    """An SAE as the task sees it in a code run: ``encode`` gives the codes the sandbox returned for exactly the
    inputs it was sent (also when a task passes them in consecutive chunks, as splicing does), ``decode`` is the
    linear decoder, computed here. Any other input is refused: the sandbox never saw it."""

    def __init__(self, W_dec: torch.Tensor, b_dec: torch.Tensor, known: list[tuple[torch.Tensor, torch.Tensor]]):
        self.W_dec, self.b_dec = W_dec, b_dec
        self.d_sae, self.d_out = W_dec.shape
        self._known = known
        self._cursor: dict[int, int] = {}

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        for i, (xs, cs) in enumerate(self._known):
            if x is xs or (x.shape == xs.shape and torch.equal(x, xs)):
                return cs
        for i, (xs, cs) in enumerate(self._known):
            at = self._cursor.get(i, 0)
            n = x.shape[0]
            if x.shape[1:] == xs.shape[1:] and at + n <= xs.shape[0] and torch.allclose(x, xs[at:at + n], atol=1e-5):
                self._cursor[i] = (at + n) % xs.shape[0]
                return cs[at:at + n]
        raise CodeRunFailed("the task evaluated the SAE on inputs the sandbox was not given (a task that code runs "
                            "do not support)")

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        return codes @ self.W_dec + self.b_dec

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


@dataclass
class CodeTraining:
    sae: CodesSAE
    weights: dict[str, torch.Tensor]
    steps: int
    seconds: float
    stopped: str | None
    losses: dict[str, float | None]


def _budget(wall: float, memory: int, threads: int) -> LabBudget:
    return LabBudget(wall_seconds=wall, memory_bytes=memory, cpu_seconds=wall * threads + 10)


def _workspace(root: Path, source: str, inputs: dict[str, torch.Tensor]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="code-", dir=root))
    # Owned by the job's uid while it runs; bubblewrap, root without CAP_DAC_OVERRIDE, must still enter it.
    os.chmod(work, 0o711)
    (work / CODE_FILE).write_text(source)
    (work / INPUT_DIR).mkdir()
    (work / OUTPUT_DIR).mkdir()
    for name, x in inputs.items():
        np.save(work / INPUT_DIR / f"{name}_x.npy", x.detach().to(torch.float32).contiguous().numpy())
    return work


def _spec(action: str, config: SAEConfig, d_in: int, d_out: int, steps: int, max_steps: int, max_seconds: float,
          splits: list[str], threads: int, budget: LabBudget) -> dict:
    return {"action": action, "config": config.model_dump(mode="json"), "d_in": d_in, "d_out": d_out,
            "steps": steps, "norm_batches": _NORM_BATCHES if action == "train" else 0, "max_steps": max_steps,
            "max_seconds": max_seconds, "splits": splits, "threads": threads, "cpu_seconds": budget.cpu_seconds,
            "memory_bytes": budget.memory_bytes, "processes": budget.processes, "file_bytes": budget.disk_bytes}


def _report(raw: bytes) -> JobReport:
    try:
        report = JobReport.model_validate_json(raw)
    except ValueError:
        raise CodeRunFailed("the run's report is garbled") from None
    if report.error:
        raise CodeRunFailed(report.error)
    return report


def _weights(path: Path, config: SAEConfig, d_out: int, limit: int) -> dict[str, torch.Tensor]:
    if not path.is_file() or path.is_symlink():
        raise CodeRunFailed(f"the run returned no {WEIGHTS_FILE}")
    with path.open("rb") as fp:
        header = read_safetensors_header(fp, path.stat().st_size, "the returned weights", CodeRunFailed)
    want = {"W_dec": (config.width, d_out), "b_dec": (d_out,)}
    for name, shape in want.items():
        entry = header.get(name)
        if entry is None or entry.shape != shape or entry.dtype != "F32":
            got = "missing" if entry is None else f"{entry.dtype} {list(entry.shape)}"
            raise CodeRunFailed(f"the returned weights' {name} is {got}; expected F32 {list(shape)}")
    if sum(e.end - e.start for e in header.values()) > limit:
        raise CodeRunFailed(f"the returned weights are over {limit >> 20} MiB")
    weights = load_file(str(path))
    for name, tensor in weights.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CodeRunFailed(f"the returned weights' {name} has NaN or infinite values")
    return weights


def _codes(path: Path, split: str, n: int, width: int) -> torch.Tensor:
    if not path.is_file() or path.is_symlink():
        raise CodeRunFailed(f"the run returned no codes for the {split} inputs")
    array = read_npy_file(path, ArraySpec(shapes=((n, width),), kinds="f"), f"the codes for the {split} inputs",
                          CodeRunFailed)
    codes = torch.from_numpy(array.astype(np.float32, copy=False))
    if not bool(torch.isfinite(codes).all()):
        raise CodeRunFailed(f"the codes for the {split} inputs have NaN or infinite values")
    return codes


def _returned(work: Path, config: SAEConfig, d_out: int, inputs: dict[str, torch.Tensor], weights, limit: int):
    if weights is None:
        weights = _weights(work / OUTPUT_DIR / WEIGHTS_FILE, config, d_out, limit)
    known = [(x, _codes(work / OUTPUT_DIR / f"{name}_codes.npy", name, x.shape[0], config.width))
             for name, x in inputs.items()]
    return weights, CodesSAE(weights["W_dec"], weights["b_dec"], known)


def train_code(source: str, config: SAEConfig, data, budget, inputs: dict[str, torch.Tensor], work_root: Path,
               threads: int) -> CodeTraining:
    """Train the module's SAE in the sandbox on the task's batches; encode ``inputs`` (split name -> x) there."""
    steps = run_steps(config, budget)
    lab = _budget(budget.max_seconds + GRACE_SECONDS, budget.max_memory_bytes, threads)
    transcoder = config.transcoder

    def feed(write) -> int:
        for x, y in training_batches(config, data, steps):
            chunk = x.to(torch.float32).contiguous().numpy().tobytes()
            write(chunk + y.to(torch.float32).contiguous().numpy().tobytes() if transcoder else chunk)
        return steps

    work = _workspace(work_root, source, inputs)
    try:
        spec = _spec("train", config, data.d_in, data.d_out, steps, budget.max_steps, budget.max_seconds,
                     list(inputs), threads, lab)
        try:
            outcome = run_lab_job(work, spec, lab, package_files=PACKAGE_FILES, empty_files=EMPTY_FILES,
                                  module=JOB_MODULE, feed=feed)
        except LabJobFailed as exc:
            raise CodeRunFailed(str(exc)) from None
        report = _report(outcome.report)
        weights, sae = _returned(work, config, data.d_out, inputs, None, lab.disk_bytes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # Steps are what the host fed, whatever the run says: it cannot have trained on batches it never got.
    trained = min(report.steps, max(outcome.fed - _NORM_BATCHES, 0))
    return CodeTraining(sae, weights, trained, outcome.seconds, report.stopped, report.losses)


def encode_code(source: str, config: SAEConfig, weights: dict[str, torch.Tensor], d_in: int, d_out: int,
                inputs: dict[str, torch.Tensor], work_root: Path, threads: int, memory_bytes: int) -> CodesSAE:
    """Encode ``inputs`` with a saved code SAE, in the sandbox (``lab submit``)."""
    from safetensors.torch import save_file

    lab = _budget(ENCODE_SECONDS, memory_bytes, threads)
    work = _workspace(work_root, source, inputs)
    try:
        save_file(weights, str(work / INPUT_DIR / WEIGHTS_FILE))
        spec = _spec("encode", config, d_in, d_out, 0, 1, 1.0, list(inputs), threads, lab)
        try:
            outcome = run_lab_job(work, spec, lab, package_files=PACKAGE_FILES, empty_files=EMPTY_FILES,
                                  module=JOB_MODULE)
        except LabJobFailed as exc:
            raise CodeRunFailed(str(exc)) from None
        _report(outcome.report)
        return _returned(work, config, d_out, inputs, weights, lab.disk_bytes)[1]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def save_code_sae(path: Path, source: str, weights: dict[str, torch.Tensor], config: SAEConfig, d_in: int,
                  d_out: int, metadata: dict) -> Path:
    """The code SAE in SAELens's layout (``cfg.json`` + ``sae_weights.safetensors``, architecture ``custom``: no
    SAELens class runs it) with its module beside it, so ``lab submit`` can encode in the sandbox again."""
    import json

    from safetensors.torch import save_file

    from interpctf import __version__

    path.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in weights.items()}, str(path / "sae_weights.safetensors"))
    cfg = {"d_in": d_in, "d_sae": config.width, "dtype": "float32", "device": "cpu", "architecture": "custom",
           "apply_b_dec_to_input": not config.transcoder, "normalize_activations": "none",
           "reshape_activations": "none",
           "metadata": {"lab_architecture": "code", "lab_config": config.model_dump(mode="json"),
                        "interpctf_version": __version__, **metadata}}
    if config.transcoder:
        cfg["d_out"] = d_out
    (path / "cfg.json").write_text(json.dumps(cfg, indent=2))
    (path / CODE_FILE).write_text(source)
    os.chmod(path / CODE_FILE, 0o444)
    return path


def load_code_sae(path: Path) -> tuple[str, dict[str, torch.Tensor]] | None:
    """(source, weights) of a saved code SAE, or None when ``path`` holds a built-in architecture's SAE."""
    if not (path / CODE_FILE).is_file():
        return None
    return (path / CODE_FILE).read_text(), load_file(str(path / "sae_weights.safetensors"))
