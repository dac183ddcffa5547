"""The process inside a code run's sandbox (see :mod:`interpctf.sandbox.lab_profile`): become the job's uid, set
the limits, import the agent's module, then train its SAE on the batches the host sends (``train``) or load its
saved weights (``encode``), and write the weights and the codes of the given inputs to the workspace.

Everything after the import may be the agent's code, which can change anything in this process: what this job
writes is a claim the host checks (shapes, finiteness, steps against what it fed), and no metric is computed here.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
from pathlib import Path

from interpctf.lab.code.wire import (CODE_FILE, INPUT_DIR, OUTPUT_DIR, WEIGHTS_FILE, WORKSPACE, JobReport,
                                     JobSpec)

ENCODE_CHUNK = 4096


def read_spec(model=JobSpec):
    """The spec line on stdin, validated as ``model``."""
    from interpctf.sandbox.confine import read_spec_line

    return model.model_validate_json(read_spec_line())


def load_module(path: Path, name: str):
    """The participant's module, imported inside the sandbox under ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _load_class(path: Path):
    """The module's SAE class: the one subclass of the lab's SAE base it defines (or names in ``SAE_CLASS``)."""
    from interpctf.lab.saes.base import SAE

    module = load_module(path, "agent_sae")
    named = getattr(module, "SAE_CLASS", None)
    if named is not None:
        candidates = [named]
    else:
        candidates = [v for v in vars(module).values()
                      if isinstance(v, type) and issubclass(v, SAE) and v.__module__ == "agent_sae"]
    if len(candidates) != 1 or not (isinstance(candidates[0], type) and issubclass(candidates[0], SAE)):
        raise ValueError(f"{CODE_FILE} must define exactly one subclass of interpctf.lab.saes.custom.CustomSAE "
                         f"(found {len(candidates)}); name it in SAE_CLASS to choose")
    return candidates[0]


class _Dims:
    """What train() needs of a task's data when the batches come from the host."""

    def __init__(self, d_in: int, d_out: int):
        self.d_in, self.d_out = d_in, d_out


def read_frame(pipe, n: int) -> bytearray:
    """Exactly ``n`` bytes from the host's data pipe (EOFError when it closes first)."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        r = pipe.readinto(view[got:])
        if not r:
            raise EOFError("the host's data pipe closed early")
        got += r
    return buf


def _batches(spec: JobSpec, fd: int):
    """Read ``norm_batches + steps`` batches of float32 (x, then y for a transcoder) from the host's pipe."""
    import torch

    b = int(spec.config.get("batch_size", 1024))
    transcoder = bool(spec.config.get("transcoder", False))
    sizes = (b * spec.d_in * 4, b * spec.d_out * 4) if transcoder else (b * spec.d_in * 4,)
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        for _ in range(spec.norm_batches + spec.steps):
            parts = []
            for n in sizes:
                parts.append(torch.frombuffer(read_frame(pipe, n), dtype=torch.float32).view(b, -1))
            yield (parts[0], parts[-1])


def _encode(sae, x, chunk: int = ENCODE_CHUNK):
    import torch

    with torch.no_grad():
        return torch.cat([sae.encode(x[i:i + chunk]) for i in range(0, x.shape[0], chunk)])


class _Budget:
    """The part of a task's budget train() reads (the tasks are not mounted)."""

    def __init__(self, max_steps: int, max_seconds: float):
        self.max_steps, self.max_seconds = max_steps, max_seconds


def _run(spec: JobSpec) -> JobReport:
    import numpy as np
    import torch
    from safetensors.torch import load_file, save_file

    from interpctf.lab.config import SAEConfig

    torch.set_num_threads(spec.threads)
    work = Path(WORKSPACE)
    config = SAEConfig.model_validate(spec.config)
    cls = _load_class(work / CODE_FILE)
    report = JobReport()
    if spec.action == "train":
        from interpctf.lab.train import train

        batches = _batches(spec, spec.data_fd)
        try:
            result = train(config, _Dims(spec.d_in, spec.d_out), _Budget(spec.max_steps, spec.max_seconds),
                           sae_class=cls, batches=batches)
        finally:
            batches.close()  # closes the pipe: the host's feeder stops
        sae = result.sae
        state = {k: v.detach().contiguous().clone() for k, v in sae.state_dict().items()}
        save_file(state, str(work / OUTPUT_DIR / WEIGHTS_FILE))
        losses = {k[:64]: (v if math.isfinite(v) else None) for k, v in list(result.final_losses.items())[:16]}
        report = JobReport(steps=result.steps, stopped=result.stopped, losses=losses)
    else:
        os.close(spec.data_fd)
        sae = cls(spec.d_in, config.width, spec.d_out, config)
        sae.initialize(torch.Generator().manual_seed(config.seed))  # makes extra_init's parameters, then loaded
        sae.load_state_dict(load_file(str(work / INPUT_DIR / WEIGHTS_FILE)))
    sae.eval()
    for split in spec.splits:
        x = torch.from_numpy(np.load(work / INPUT_DIR / f"{split}_x.npy", allow_pickle=False))
        codes = _encode(sae, x)
        np.save(work / OUTPUT_DIR / f"{split}_codes.npy", codes.detach().numpy())
    return report


def serve(spec, run, report_model) -> None:
    """Confine this process with ``spec``'s limits, then write ``run(spec)``'s report (or the one-line error it
    raised, as ``report_model(error=...)``) on the report channel and exit at once."""
    from interpctf.sandbox.confine import confine, exit_when_the_host_goes

    confine(spec.uid, cpu_seconds=spec.cpu_seconds, memory_bytes=spec.memory_bytes, processes=spec.processes,
            file_bytes=spec.file_bytes)
    exit_when_the_host_goes()
    out = os.fdopen(spec.report_fd, "w", buffering=1)
    os.dup2(2, 1)  # what the agent's code prints goes to the host's log tail, never onto the report channel
    try:
        report = run(spec)
    except BaseException as exc:  # noqa: BLE001  (SystemExit from the agent's code too: reported, not fatal)
        text = " ".join(str(exc).split())
        if isinstance(exc, MemoryError) or "allocate memory" in text or "bad_alloc" in text:
            text = f"the run ran out of memory (budget {spec.memory_bytes >> 20} MiB)"
        else:
            text = f"{type(exc).__name__}: {text}"
        report = report_model(error=text[:500])
    out.write(report.model_dump_json() + "\n")
    out.flush()
    sys.stderr.flush()
    os._exit(0)  # no interpreter teardown: threads of torch or of the agent's code must not hold the exit


def main() -> None:
    serve(read_spec(), _run, JobReport)
