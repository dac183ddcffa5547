"""``editability``: which changes to how the world language model is trained make ROME and MEMIT edits work better.

The agent's config sets the GPT-2 knobs and the schedule (:class:`WorldModelConfig`); a ``--code`` module may add
``extra_loss(model, batch, outputs)``, trained in the sandbox. The trusted side builds the batches, reads the
weights back in bounded memory, gates on capability and measures editability (:mod:`interpctf.lab.editability`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field

from interpctf.errors import InterpctfError
from interpctf.lab.config import BadLabConfig, config_hash
from interpctf.lab.editability.config import WorldModelConfig
from interpctf.lab.editability.measure import GateReference, edit_sets, editability, gate_failure, recall
from interpctf.lab.editability.weights import WEIGHTS_FILE, n_params, read_weights, save_model
from interpctf.lab.metrics import normalized_score
from interpctf.lab.tasks.base import TaskBudget, Task

N_POSITIONS = 64  # the shipped world model's context; facts are a dozen tokens
MODEL_DIR = "model"


class EditabilityOptions(BaseModel):
    """The world and the edit sets (defaults: the task as shipped; smaller ones are scored on a board apart)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    n_subjects: int = Field(200, ge=4, le=2000, description="people in the synthetic world (6 facts each)")
    n_edits: int = Field(50, ge=1, le=200, description="edits in each of the validation and test sets")
    stats_docs: int = Field(2000, ge=10, le=20000, description="corpus documents for the editors' key statistics")
    gate_config: dict[str, Any] = Field(default_factory=dict, description=(
        "on another world, the config (over the baseline) whose trained model is the gate's yardstick"))


class EditabilityTask(Task):
    name = "editability"
    problems = ("ciw-factual-recall",)
    instructions = """
Make the world language model easier to edit without making it worse at its job. Your config sets how the GPT-2
is built and trained (layers, width, heads, d_mlp, dropout, weight decay, tied embeddings, activation, learning-rate
schedule, steps, how often each fact and each training template is seen); `--code hook.py` may add a term
`extra_loss(model, batch, outputs)` to the loss (it runs in the sandbox). The evaluator then gates on capability:
top-1 recall on the training templates and on held-out paraphrases within 0.02 of the shipped world model's, and at
most 1.5x its parameters. If the gate holds, 50 validation edits are applied with ROME one at a time (each from the
unedited model), with MEMIT in one batch, and with ROME one after another (sequential): the score is the mean of
the three CounterFact scores (harmonic mean of efficacy, paraphrase and neighbourhood), 0 at the baseline config
(today's world model) and 1 at the reference config. A failed gate scores as editability 0, with the reason.
ROME edits the last MLP layer, MEMIT the last three. `lab submit` measures the test edits (a disjoint set) once.
"""
    # The step budget is what every run gets alike; the wall limit only stops runaway code. 900 s was too tight:
    # on two shared cores the shipped config itself was stopped at its 1,988th of 2,000 steps.
    budget = TaskBudget(max_steps=6000, max_seconds=2400, max_width=1024, max_memory_bytes=6 << 30)
    score_metric = "editability"
    metric_names = ("editability", "rome_score", "memit_score", "sequential_score", "recall_train",
                    "recall_paraphrase", "n_params")
    options_model = EditabilityOptions
    config_model = WorldModelConfig
    default_config: dict[str, Any] = {}
    baseline_config: dict[str, Any] = {}  # the world model as shipped (nets.tiny_gpt_reference.REFERENCE_CONFIG)
    # From a reduced-scale sweep (24 subjects, a 2x64 model, 1200 steps, 10 edits per scheme): a 1.5x wider
    # MLP (1.29x the parameters) raised editability from 0.74 to 0.84 (seed 1: 0.72 to 0.94; weight decay 0.3: 0.76)
    # with recall unchanged at 1.0; here the same 1.5x of the shipped d_mlp (1.31x its parameters). At full size: 0.9742
    # against the baseline's 0.9566 (recall 0.9989 / 0.9817, inside the gate).
    reference_config: dict[str, Any] = {"d_mlp": 768}
    # Full-size validation editability of the baseline and reference configs, one seed each, measured with
    # benchmarks/bench_editability.py (the same path as `interpctf lab calibrate editability`) on 2 shared cores.
    anchors = (0.9566, 0.9742)
    # The shipped world model's figures (its metrics.json): the capability gate's yardstick for the task as shipped.
    gate_reference = GateReference(recall_train=1.0, recall_paraphrase=0.9983, n_params=844544)

    def __init__(self, options: dict[str, Any] | None = None):
        super().__init__(options)
        self.options: EditabilityOptions = self.options or EditabilityOptions()

    def load_data(self, config, cache_dir):
        raise InterpctfError("editability trains a language model, not an SAE; use lab run editability")

    def evaluate(self, sae, data, split):
        raise InterpctfError("editability trains a language model, not an SAE; use lab run editability")

    def sae_metadata(self) -> dict[str, Any]:
        return {"model_name": "world-gpt", "hook_name": "none"}

    # --- the world --------------------------------------------------------------------------------
    def world(self):
        from interpctf.data.world import World, WorldConfig
        from interpctf.data.world_tokenizer import build_tokenizer

        world = World.generate(WorldConfig(n_subjects=self.options.n_subjects))
        return world, build_tokenizer(world)

    @staticmethod
    def _ids(tokenizer) -> tuple[int, int, int]:
        return tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id

    def reference(self, world, tokenizer, cache_dir: Path, threads: int | None) -> GateReference:
        """The gate's yardstick: the shipped model's figures, or for other options the baseline config trained
        on this world once (cached in the runs store)."""
        if self.options == EditabilityOptions():
            return self.gate_reference
        cfg = self.config({**self.baseline_config, **self.options.gate_config})
        key = json.dumps({"options": self.options.model_dump(), "config": config_hash(cfg)}, sort_keys=True)
        path = cache_dir / f"editability-reference-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
        if path.is_file():
            return GateReference.model_validate_json(path.read_text())
        model, _ = self._train(cfg, world, tokenizer, None, self.budget.max_seconds, cache_dir, threads)
        figures = recall(model, tokenizer, world)
        ref = GateReference(n_params=n_params(cfg, len(tokenizer), N_POSITIONS), **figures)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(ref.model_dump_json())
        return ref

    def _train(self, cfg: WorldModelConfig, world, tokenizer, source: str | None, max_seconds: float,
               work_root: Path, threads: int | None):
        from interpctf.lab.editability.batches import FactStream
        from interpctf.lab.editability.train import build_gpt2, train_loop
        from interpctf.nets.hf import quiet_transformers

        quiet_transformers()
        stream = FactStream(world, tokenizer, cfg)
        if source is not None:
            from interpctf.lab.editability.host import train_in_sandbox

            run = train_in_sandbox(source, cfg, stream, len(tokenizer), N_POSITIONS, self._ids(tokenizer),
                                   max_seconds, self.budget.max_memory_bytes, work_root, threads or 1)
            return run.model, (run.steps, run.seconds, run.stopped)
        torch.manual_seed(cfg.seed)
        model = build_gpt2(cfg, len(tokenizer), N_POSITIONS, *self._ids(tokenizer))
        done = train_loop(model, cfg, stream.stream(cfg.steps), max_seconds)
        return model, (done.steps, done.seconds, done.stopped)

    # --- judging ----------------------------------------------------------------------------------
    def judge(self, model, cfg: WorldModelConfig, world, tokenizer, reference: GateReference, split: str,
              progress=None) -> tuple[dict[str, float], str | None]:
        """Recall, the gate, and (when it holds) editability on the split's edits."""
        metrics: dict[str, float] = {"n_params": float(n_params(cfg, len(tokenizer), N_POSITIONS))}
        metrics |= recall(model, tokenizer, world)
        failure = gate_failure(metrics, reference)
        if failure is None:
            edits = edit_sets(world, self.options.n_edits)[split]
            metrics |= editability(model, tokenizer, world, edits, self.options.stats_docs, 3000, progress)
        else:
            metrics["editability"] = 0.0
        return metrics, failure

    def score(self, metrics: dict[str, float]) -> tuple[float, str | None]:
        # A failed gate scores as editability 0 (normalized, at or below the baseline's 0), so it never outranks
        # a model that passes; the note is set by the caller, which knows the reason.
        return normalized_score(metrics["editability"], *self.anchors), None

    def _scored(self, metrics: dict[str, float], failure: str | None) -> tuple[float, str | None]:
        value, _ = self.score(metrics)
        return (min(value, 0.0), failure) if failure else (value, None)

    # --- the runner's hooks ------------------------------------------------------------------------
    def run_experiment(self, config: Any, **args: Any) -> Any:
        from interpctf import __version__
        from interpctf.lab.code.host import CodeRunFailed, read_code
        from interpctf.lab.config import load_config_file
        from interpctf.lab.runner import TASK_OPTIONS_FILE, RunResult, _threads, git_commit
        from interpctf.lab.store import RunStore, board_name

        cfg = load_config_file(config, self.config()) if isinstance(config, (str, Path)) else self.config(config)
        if args.get("seed") is not None:
            cfg = self.config({**cfg.model_dump(), "seed": args["seed"]})
        if cfg.steps > self.budget.max_steps:
            raise BadLabConfig(f"bad lab config: steps: {cfg.steps} is over {self.name}'s cap of "
                               f"{self.budget.max_steps}")
        source = read_code(args["code"]) if args.get("code") is not None else None
        max_seconds = min(args.get("max_seconds") or self.budget.max_seconds, self.budget.max_seconds)
        task_options = {k: v for k, v in (args.get("task_options") or {}).items() if v is not None}
        record, threads = args.get("record", True), args.get("threads")
        store = RunStore(args.get("runs_dir"))
        dump = cfg.model_dump(mode="json")
        run_id = store.reserve(self.name, dump, config_hash(cfg), cfg.seed, __version__, git_commit(),
                               board_name(task_options)) if record else None
        start = time.monotonic()
        try:
            with ExitStack() as stack, _threads(threads):
                world, tokenizer = self.world()
                reference = self.reference(world, tokenizer, store.root / "cache", threads)
                over = gate_failure({"n_params": n_params(cfg, len(tokenizer), N_POSITIONS), "recall_train": 1.0,
                                     "recall_paraphrase": 1.0}, reference)
                if record:
                    out = store.artifacts_dir(run_id)
                else:
                    out = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="editability-")))
                out.mkdir(parents=True, exist_ok=True)
                if over:  # too large: not worth training, scored at once
                    metrics = {"n_params": float(n_params(cfg, len(tokenizer), N_POSITIONS)), "editability": 0.0}
                    failure, trained = over, (0, 0.0, None)
                else:
                    model, trained = self._train(cfg, world, tokenizer, source, max_seconds, store.root / "work",
                                                 threads)
                    save_model(model, tokenizer, out / MODEL_DIR)
                    # judged from the saved file, read back as any returned weights are
                    model = read_weights(out / MODEL_DIR / WEIGHTS_FILE, cfg, len(tokenizer), N_POSITIONS,
                                         self._ids(tokenizer))
                    metrics, failure = self.judge(model, cfg, world, tokenizer, reference, "val")
                score, note = self._scored(metrics, failure)
                if task_options:
                    (out / TASK_OPTIONS_FILE).write_text(json.dumps(task_options, indent=2))
                (out / "val_metrics.json").write_text(json.dumps(metrics, indent=2))
            steps, seconds, stopped = trained
            artifacts = str(out) if record else None
            if record:
                store.complete(run_id, metrics=metrics, score=score, score_note=note, stopped=stopped, steps=steps,
                               duration_s=time.monotonic() - start, artifacts_path=artifacts)
        except CodeRunFailed as exc:
            if run_id is not None:
                store.fail(run_id, str(exc), time.monotonic() - start)
                shutil.rmtree(store.artifacts_dir(run_id), ignore_errors=True)
            raise CodeRunFailed(f"run {run_id} failed: {exc}" if run_id is not None else str(exc)) from None
        except BaseException:
            if run_id is not None:
                store.delete(run_id)
                shutil.rmtree(store.artifacts_dir(run_id), ignore_errors=True)
            raise
        return RunResult(run_id=run_id, task=self.name, config=dump, config_hash=config_hash(cfg), seed=cfg.seed,
                         metrics=metrics, score=score, score_note=note, stopped=stopped, steps=steps,
                         duration_s=time.monotonic() - start, artifacts_path=artifacts, package_version=__version__,
                         git_commit=git_commit())

    def submit_experiment(self, record: Any, store: Any, threads: int | None) -> Any:
        from interpctf.lab.runner import _threads

        cfg = self.config(record.config)
        with _threads(threads):
            world, tokenizer = self.world()
            reference = self.reference(world, tokenizer, store.root / "cache", threads)
            path = Path(record.artifacts_path) / MODEL_DIR / WEIGHTS_FILE
            if not path.is_file():  # a run scored at once by the parameter gate: nothing was trained
                metrics = {"n_params": float(n_params(cfg, len(tokenizer), N_POSITIONS)), "editability": 0.0}
                return metrics, self._scored(metrics, gate_failure({**metrics, "recall_train": 1.0,
                                                                    "recall_paraphrase": 1.0}, reference))[0]
            model = read_weights(path, cfg, len(tokenizer), N_POSITIONS, self._ids(tokenizer))
            metrics, failure = self.judge(model, cfg, world, tokenizer, reference, "test")
        return metrics, self._scored(metrics, failure)[0]
