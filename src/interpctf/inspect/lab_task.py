"""A lab task as an Inspect task: the task's instructions and budget are the sample; the agent writes configs or
SAE modules into a workspace of its own, runs experiments against an experiment budget, reads validation metrics
and plots, and submits one run, whose test metrics the lab computes once. The scorer reads the test score from the
runs store, where the trusted side wrote it; nothing the agent says is a score.

    inspect eval interpctf/inspect/lab_task.py@interpctf_lab -T task=sae-toy -T max_experiments=10

Runs are recorded in the store with participant = the model's name, kind ``agent`` and the sample's uuid as their
session, so a human's runs on the same task and budget compare with them (``interpctf report compare``).
"""

from __future__ import annotations

import asyncio
import base64
import json

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import Score, Target, mean, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver, system_message
from inspect_ai.tool import ContentImage, ContentText, Tool, ToolError, tool

from interpctf.errors import InterpctfError, one_line
from interpctf.inspect.workspace import AgentWorkspace, MAX_FILE_BYTES, workspace_file
from interpctf.lab.store import RunStore, UnknownRun
from interpctf.lab.tasks import get_task

SYSTEM = ("You are an interpretability researcher with a fixed budget of experiments on a lab task. Write a YAML "
          "config (and, if you like, a Python module defining your own SAE) into your workspace, run experiments, "
          "read their validation metrics and plots, then submit the one run you think is best: its test score, "
          "computed once, is your result.")
SUBMITTED = "interpctf_lab_submitted"


def instructions(name: str, max_experiments: int, max_seconds: float | None, options: dict | None = None) -> str:
    info = get_task(name, options).describe()
    budget = dict(info["budget"])
    if max_seconds is not None:
        budget["max_seconds"] = min(max_seconds, budget["max_seconds"])
    return (f"# Lab task {name}\n\n{info['instructions']}\n\nScore: {info['score']}.\n"
            f"Budget per run: {json.dumps(budget)}. Experiments: {max_experiments} runs in all.\n"
            f"Metrics reported: {', '.join(info['metrics'])}.\n\n"
            f"Default config (a YAML config overrides these keys): {json.dumps(info['default_config'])}\n"
            f"Config keys: {_config_keys(info['config_schema'])}\n\n"
            "A code SAE is a module defining one subclass of interpctf.lab.saes.custom.CustomSAE (its own encode "
            "and training loss; the decoder stays linear, W_dec and b_dec); run it with run_experiment(code=...).")


def _config_keys(schema: dict) -> str:
    """Every config key of the task's schema with its description where it has one, in one line (the full JSON
    schema is long)."""
    props = schema.get("properties", {})
    return "; ".join(f"{name} ({p['description']})" if p.get("description") else name for name, p in props.items())


def _call(fn, *args, **kwargs):
    """Run a blocking lab call off the event loop; user-caused errors become one-line tool errors."""
    async def go():
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except InterpctfError as exc:
            raise ToolError(one_line(exc)) from None
    return go()


@tool
def write_file(session: AgentWorkspace) -> Tool:
    async def execute(path: str, content: str):
        """Write a text file into your workspace (a YAML config or a Python SAE module), replacing any file of that
        name.

        Args:
            path: a path inside the workspace, e.g. config.yaml or sae.py.
            content: the file's full text.
        """
        if len(content.encode()) > MAX_FILE_BYTES:
            raise ToolError(f"content is over {MAX_FILE_BYTES} bytes")
        target = await _call(workspace_file, session.workspace, path, create=True)
        target.write_text(content, encoding="utf-8")
        return f"wrote {path} ({len(content)} characters)"

    return execute


@tool
def run_experiment(session: AgentWorkspace) -> Tool:
    lock = asyncio.Lock()

    async def execute(config: str = "", code: str = ""):
        """Train and evaluate one SAE on the task (one experiment of your budget) and return its validation
        metrics and score.

        Args:
            config: a YAML config file in your workspace (e.g. config.yaml); empty for the task's default config.
            code: a Python module in your workspace defining your SAE (e.g. sae.py); empty for a built-in one.
        """
        async with lock:
            result = await _call(session.run, config or None, code or None)
        return json.dumps(result)

    return execute


@tool
def read_results(session: AgentWorkspace) -> Tool:
    async def execute(run_id: int):
        """The validation metrics, score, config and status of one of your runs.

        Args:
            run_id: the run's id, from run_experiment or list_runs.
        """
        return json.dumps(await _call(session.describe, run_id))

    return execute


@tool
def read_plot(session: AgentWorkspace) -> Tool:
    async def execute(run_id: int, plot: str = "frontier"):
        """A plot of one of your runs, as an image: 'frontier' (L0 against explained variance, beside the task's
        other runs) or 'dead' (the histogram of latent firing frequencies, dead latents apart).

        Args:
            run_id: the run's id.
            plot: 'frontier' or 'dead'.
        """
        path, summary = await _call(session.plot, run_id, plot)
        image = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
        return [ContentText(text=f"{summary} (file: {path})"), ContentImage(image=image)]

    return execute


@tool
def list_runs(session: AgentWorkspace) -> Tool:
    async def execute():
        """Your runs so far, with their validation score, and how many experiments you have left."""
        return json.dumps(await _call(session.overview))

    return execute


@tool
def submit(session: AgentWorkspace) -> Tool:
    async def execute(run_id: int):
        """Submit one of your runs as your result: its test metrics are computed once and its normalized test score
        is final. You can submit only once.

        Args:
            run_id: the run to submit.
        """
        from inspect_ai.util import store

        if store().get(SUBMITTED) is not None:
            raise ToolError(f"run {store().get(SUBMITTED)} is already submitted; a task takes one submission")
        result = await _call(session.submit, run_id)
        store().set(SUBMITTED, run_id)
        return json.dumps(result)

    return execute


@solver
def lab_agent(name: str, runs_dir: str | None, max_experiments: int, max_seconds: float | None,
              options: dict | None = None) -> Solver:
    """Each sample gets a workspace and a session of its own (its uuid), the model's name as participant."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        session = AgentWorkspace.open(name, runs_dir, str(state.model), state.uuid, max_experiments, max_seconds,
                                  options)
        state.tools = [write_file(session), run_experiment(session), read_results(session), read_plot(session),
                       list_runs(session), submit(session)]
        return await generate(state, tool_calls="loop")

    return solve


@scorer(metrics=[mean()])
def lab_score(runs_dir: str | None):
    async def score(state: TaskState, target: Target) -> Score:
        run_id = state.store.get(SUBMITTED)
        used = len(RunStore(runs_dir).session_runs(state.uuid))
        if run_id is None:
            return Score(value=0.0, explanation="no run was submitted", metadata={"experiments": used})
        try:
            rec = RunStore(runs_dir).get(int(run_id))
        except UnknownRun:
            return Score(value=0.0, explanation=f"run {run_id} is not in the store")
        if rec.session_id != state.uuid or rec.test_score is None:  # only the trusted submit writes test scores
            return Score(value=0.0, explanation=f"run {run_id} has no test score of this sample")
        return Score(value=rec.test_score, answer=str(run_id),
                     explanation=f"run {run_id}: test {rec.task} score {rec.test_score:.4f}",
                     metadata={"run_id": rec.id, "test_metrics": rec.test_metrics, "val_score": rec.score,
                               "experiments": used, "participant": rec.participant})

    return score


@task
def interpctf_lab(task: str = "sae-toy", max_experiments: int = 10, max_seconds: float | None = None,
                  runs_dir: str | None = None, options: dict | None = None, message_limit: int = 60) -> Task:
    """``task``: a lab task (``interpctf lab tasks``); ``max_experiments``: runs the agent may start;
    ``max_seconds``: lower each run's time budget; ``runs_dir``: the runs store (default $INTERPCTF_LAB_DIR);
    ``options``: the task's own (sae-lm: ``{model: ..., hook: ...}``), its runs then on that options' board."""
    get_task(task, options)  # an unknown task or a bad option fails here, naming the choices
    if max_experiments < 1:
        raise InterpctfError(f"max_experiments: {max_experiments} must be at least 1")
    store_dir = str(RunStore(runs_dir).root)
    return Task(dataset=[Sample(input=instructions(task, max_experiments, max_seconds, options), id=task)],
                solver=[system_message(SYSTEM), lab_agent(task, store_dir, max_experiments, max_seconds, options)],
                scorer=lab_score(store_dir), message_limit=message_limit)

