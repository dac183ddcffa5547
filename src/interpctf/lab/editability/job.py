"""The process inside an editability code run's sandbox: become the job's uid, set the limits, import the agent's
module, train the world model on the batches the host sends with ``extra_loss`` added, write the weights.

Everything after the import may be the agent's code: what this job writes is a claim the host checks (the
weights against the config's model, the steps against what it fed); no recall or edit is measured here.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from interpctf.lab.editability.wire import CODE_FILE, OUTPUT_DIR, JobReport, JobSpec

WORKSPACE = "/work"
WEIGHTS_FILE = "model.safetensors"


def _extra_loss(path: Path):
    from interpctf.lab.code.job import load_module

    module = load_module(path, "agent_hook")
    fn = getattr(module, "extra_loss", None)
    if not callable(fn):
        raise ValueError(f"{CODE_FILE} must define a function extra_loss(model, batch, outputs)")

    def checked(model, batch, outputs):
        import torch

        value = fn(model, batch, outputs)
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            raise ValueError("extra_loss must return a scalar tensor")
        return value.reshape(())
    return checked


def _batches(spec: JobSpec, batch_size: int, row_tokens: int):
    """Fixed frames of int64 input ids then int64 labels, ``steps`` of them, from the host's pipe."""
    import torch

    from interpctf.lab.code.job import read_frame

    size = batch_size * row_tokens * 8
    with os.fdopen(spec.data_fd, "rb", buffering=0) as pipe:
        for _ in range(spec.steps):
            inputs, labels = (torch.frombuffer(read_frame(pipe, size), dtype=torch.int64).view(batch_size, row_tokens)
                              for _ in range(2))
            yield inputs, labels


def _run(spec: JobSpec) -> JobReport:
    import torch
    from safetensors.torch import save_file

    from interpctf.lab.editability.config import WorldModelConfig
    from interpctf.lab.editability.train import build_gpt2, train_loop

    torch.set_num_threads(spec.threads)
    cfg = WorldModelConfig.model_validate(spec.config)
    extra = _extra_loss(Path(WORKSPACE) / CODE_FILE)
    torch.manual_seed(cfg.seed)
    model = build_gpt2(cfg, spec.vocab_size, spec.n_positions, *spec.token_ids)
    batches = _batches(spec, cfg.batch_size, cfg.row_tokens)
    try:
        trained = train_loop(model, cfg, batches, spec.max_seconds, extra)
    finally:
        batches.close()  # closes the pipe: the host's feeder stops
    state = {k: v.detach().to(torch.float32).contiguous().clone() for k, v in model.state_dict().items()}
    if cfg.tied_embeddings:
        state.pop("lm_head.weight", None)
    save_file(state, str(Path(WORKSPACE) / OUTPUT_DIR / WEIGHTS_FILE))
    loss = trained.final_loss if math.isfinite(trained.final_loss) else None
    return JobReport(steps=trained.steps, stopped=trained.stopped, final_loss=loss)


def main() -> None:
    from interpctf.lab.code.job import read_spec, serve

    serve(read_spec(JobSpec), _run, JobReport)
