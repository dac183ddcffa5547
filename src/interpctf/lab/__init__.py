"""The lab: cheap, honest SAE experiments on tasks with known answers.

    >>> from interpctf import lab
    >>> result = lab.run("sae-toy", {"architecture": "topk", "k": 7, "steps": 500})
    >>> result.metrics["mmcs"], result.score

Validation metrics come back from ``run``; ``submit(run_id)`` computes the test metrics once.
"""

from interpctf.lab.config import SAEConfig, parse_config
from interpctf.lab.runner import RunResult, Submission, get_run, run, submit
from interpctf.lab.saelens_io import load_sae, save_sae
from interpctf.lab.tasks import get_task, task_names

__all__ = ["SAEConfig", "RunResult", "Submission", "task_names", "get_run", "get_task", "load_sae", "parse_config", "run",
           "save_sae", "submit"]
