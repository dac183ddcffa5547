"""A code run in the sandbox vs the same run in-process: the cost of isolating an agent's SAE module.

Both sides train the same module (``recipes/lab/code/relu_threshold.py``, loaded in-process here because it is the
project's own example) with the same config on the same batches (``train.training_batches``), and are measured by
the same task code on the same validation set. The sandboxed side is ``lab.run(..., code=...)`` end to end:
bubblewrap and torch starting in the sandbox, the host generating and piping the batches, the weights and codes
written, checked and read back, the metrics and the run record. The in-process side is train + evaluate + save.
Target (issue 16): sandboxed <= 1.15x in-process, wall clock.

    .venv/bin/python benchmarks/bench_lab_code.py [--steps 1000] [--repeats 1] [--threads 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path

import torch

from interpctf import lab
from interpctf.lab.runner import resolve_config
from interpctf.lab.tasks import get_task
from interpctf.lab.train import train

ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "recipes" / "lab" / "code" / "relu_threshold.py"
CONFIG = ROOT / "recipes" / "lab" / "code" / "relu_threshold.yaml"


def in_process(steps: int, runs_dir: Path) -> tuple[float, float, dict]:
    spec = importlib.util.spec_from_file_location("bench_sae", MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    task = get_task("sae-toy")
    cfg = task.config({**resolve_config("sae-toy", CONFIG).model_dump(), "architecture": "code", "steps": steps})
    start = time.perf_counter()
    data = task.load_data(cfg, runs_dir / "cache")
    result = train(cfg, data, task.budget, sae_class=module.ReLUThresholdSAE)
    metrics, _ = task.evaluate(result.sae, data, "val")
    state = {k: v.detach().contiguous() for k, v in result.sae.state_dict().items()}
    from safetensors.torch import save_file

    (runs_dir / "inproc").mkdir(parents=True, exist_ok=True)
    save_file(state, str(runs_dir / "inproc" / "w.safetensors"))
    return time.perf_counter() - start, result.seconds, metrics


def sandboxed(steps: int, runs_dir: Path) -> tuple[float, float, dict]:
    cfg = {**resolve_config("sae-toy", CONFIG).model_dump(), "steps": steps}
    start = time.perf_counter()
    result = lab.run("sae-toy", cfg, code=MODULE, runs_dir=runs_dir)
    return time.perf_counter() - start, result.duration_s, result.metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ratios = []
    for rep in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            # alternate the order so a change in machine load does not always favour one side
            order = [("in-process", in_process), ("sandboxed", sandboxed)]
            if rep % 2:
                order.reverse()
            seen = {}
            for name, fn in order:
                wall, train_s, metrics = fn(args.steps, Path(tmp) / name)
                seen[name] = wall
                print(f"{name:>10}: {wall:7.1f} s wall ({train_s:6.1f} s in the training loop); "
                      f"MMCS {metrics['mmcs']:.4f}, EV {metrics['explained_variance']:.4f}, L0 {metrics['l0']:.1f}")
            ratios.append(seen["sandboxed"] / seen["in-process"])
            print(f"repeat {rep + 1}: sandboxed / in-process = {ratios[-1]:.3f}x")
    print(f"median ratio over {len(ratios)} repeat(s): {statistics.median(ratios):.3f}x (target <= 1.15x)")


if __name__ == "__main__":
    main()
