"""The training loop: one function, the same for every architecture and task.

It enforces the task's budget (steps and wall-clock seconds) itself, so a config cannot train past it; a run that hits
the budget stops, keeps what it learned, and says so in ``stopped``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np
import torch

from interpctf.lab.config import SAEConfig
from interpctf.lab.saes import SAE, build_sae

if TYPE_CHECKING:  # only for annotations: a code run's sandbox mounts this module without the tasks (scoring code)
    from interpctf.lab.tasks.base import TaskBudget, TaskData

Batch = tuple[torch.Tensor, torch.Tensor]
# (step, total_steps, losses) -> None; called every ``PROGRESS_EVERY`` steps and at the end.
ProgressFn = Callable[[int, int, dict[str, float]], None]
PROGRESS_EVERY = 25
_NORM_BATCHES = 8


@dataclass
class TrainResult:
    sae: SAE
    steps: int
    seconds: float
    stopped: str | None
    scale_in: float
    scale_out: float
    final_losses: dict[str, float]


def _lr_factor(config: SAEConfig, steps: int) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < config.lr_warmup_steps:
            return (step + 1) / config.lr_warmup_steps
        if config.lr_schedule == "constant":
            return 1.0
        t = (step - config.lr_warmup_steps) / max(steps - config.lr_warmup_steps, 1)
        if config.lr_schedule == "linear":
            return max(1.0 - t, 0.0)
        return 0.5 * (1.0 + math.cos(math.pi * min(t, 1.0)))

    return factor


def training_batches(config: SAEConfig, data: TaskData, steps: int) -> Iterator[Batch]:
    """Every batch :func:`train` draws, in order: ``_NORM_BATCHES`` for the scales, then one per step. A code run's
    host feeds exactly these to its sandbox, so a sandboxed run sees the batches the same run in-process sees, and
    never more steps than the budget allows."""
    g_norm = np.random.default_rng([config.seed, 2])
    for _ in range(_NORM_BATCHES):
        yield data.sample(config.batch_size, g_norm)
    g_data = np.random.default_rng([config.seed, 1])
    for _ in range(steps):
        yield data.sample(config.batch_size, g_data)


def run_steps(config: SAEConfig, budget: TaskBudget) -> int:
    return min(config.steps, budget.max_steps)


@torch.no_grad()
def _estimate_scales(batches: list[Batch], config: SAEConfig):
    """Scale factors that make E||x|| = sqrt(d) (``expected_average_only_in``), and the target's mean for b_dec."""
    xs, ys = zip(*batches)
    x, y = torch.cat(xs), torch.cat(ys)
    if config.normalize_activations == "none":
        s_in = s_out = 1.0
    else:
        s_in = math.sqrt(x.shape[1]) / float(x.norm(dim=1).mean().clamp_min(1e-8))
        s_out = s_in if not config.transcoder else math.sqrt(y.shape[1]) / float(y.norm(dim=1).mean().clamp_min(1e-8))
    return s_in, s_out, (y * s_out).mean(dim=0)


@torch.no_grad()
def _resample_dead(sae: SAE, opt: torch.optim.Optimizer, dead: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
                   g: torch.Generator) -> None:
    """Point dead latents at inputs the SAE reconstructs worst, and forget their Adam moments."""
    idx = dead.nonzero().squeeze(1)
    err = (y - sae(x)).pow(2).sum(dim=1)
    pick = torch.multinomial(err.clamp_min(1e-12), idx.numel(), replacement=True, generator=g)
    direction = (y - sae(x))[pick]
    direction = direction / direction.norm(dim=1, keepdim=True).clamp_min(1e-8)
    alive_norm = sae.W_enc.norm(dim=0)[~dead].mean() if (~dead).any() else torch.tensor(1.0)
    sae.W_dec[idx] = direction * (1.0 if sae.unit_decoder else sae.config.decoder_init_norm)
    if sae.d_in == sae.d_out:
        sae.W_enc[:, idx] = direction.T * alive_norm * 0.2
    if hasattr(sae, "b_enc"):
        sae.b_enc[idx] = 0.0
    for p in (sae.W_enc, sae.W_dec, getattr(sae, "b_enc", None)):
        state = opt.state.get(p) if p is not None else None
        if state:
            for key in ("exp_avg", "exp_avg_sq"):
                if p is sae.W_enc:
                    state[key][:, idx] = 0.0
                else:
                    state[key][idx] = 0.0


def _fused(sae: SAE) -> bool:
    """Adam's fused CPU kernel where it applies (every parameter a float tensor on the CPU): the same update in one
    pass over each parameter instead of a dozen foreach ops, which took about a tenth of a profiled TopK step."""
    return all(p.device.type == "cpu" and p.dtype in (torch.float32, torch.float64) for p in sae.parameters())


def train(config: SAEConfig, data: TaskData, budget: TaskBudget, progress: ProgressFn | None = None, *,
          sae_class: type[SAE] | None = None, batches: Iterator[Batch] | None = None) -> TrainResult:
    """Train an SAE of ``config``'s architecture (or ``sae_class``, a code run's own) on ``batches`` (default: the
    task's :func:`training_batches`)."""
    torch.manual_seed(config.seed)
    g_init = torch.Generator().manual_seed(config.seed)
    steps = run_steps(config, budget)
    stream = batches if batches is not None else training_batches(config, data, steps)
    s_in, s_out, target_mean = _estimate_scales([next(stream) for _ in range(_NORM_BATCHES)], config)
    sae = (sae_class(data.d_in, config.width, data.d_out, config) if sae_class is not None
           else build_sae(config, data.d_in, data.d_out))
    sae.initialize(g_init, target_mean)

    stopped = None
    if config.steps > budget.max_steps:
        stopped = f"step budget: config asks {config.steps} steps, the task allows {budget.max_steps}"
    opt = torch.optim.Adam(sae.parameters(), lr=config.lr, betas=config.adam_betas, fused=_fused(sae))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_factor(config, steps))
    dead_handling = config.dead_handling
    since_fired = torch.zeros(sae.d_sae, dtype=torch.long)
    losses: dict[str, float] = {}
    start = time.perf_counter()
    step = 0
    sae.train()
    while step < steps:
        x, y = next(stream)
        if s_in != 1.0 or s_out != 1.0:
            x, y = x * s_in, y * s_out
        dead_mask = since_fired >= config.dead_window if dead_handling == "aux_loss" else None
        ramp = min(1.0, (step + 1) / config.sparsity_warmup_steps) if config.sparsity_warmup_steps else 1.0
        out = sae.train_step_loss(x, y, config.sparsity_coefficient * ramp, dead_mask)
        opt.zero_grad(set_to_none=True)
        out.total.backward()
        sae.remove_parallel_decoder_grad()
        if config.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(sae.parameters(), config.grad_clip)
        opt.step()
        sched.step()
        sae.after_step()
        since_fired.add_(1).masked_fill_(out.fired, 0)
        step += 1
        if dead_handling == "resample" and step % config.resample_every == 0 and step < steps:
            dead = since_fired >= config.dead_window
            if dead.any():
                _resample_dead(sae, opt, dead, x, y, g_init)
                since_fired[dead] = 0
        if step % PROGRESS_EVERY == 0 or step == steps:
            losses = {"loss": float(out.total.detach()), **{k: float(v.detach()) for k, v in out.parts.items()}}
            if progress:
                progress(step, steps, losses)
            if time.perf_counter() - start > budget.max_seconds and step < steps:
                stopped = f"time budget: stopped at step {step} of {steps} after {budget.max_seconds:g} s"
                break
    seconds = time.perf_counter() - start
    sae.eval()
    sae.fold_scales(s_in, s_out)  # from here on the SAE works on raw activations, as saved
    return TrainResult(sae, step, seconds, stopped, s_in, s_out, losses)
