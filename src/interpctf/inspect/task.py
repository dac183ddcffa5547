"""A challenge as an Inspect task: the statement is the sample, ``query``, ``submit_answer`` and a stateful
sandboxed ``python`` (:mod:`interpctf.inspect.python_tool`) the tools, the kind's grader (with the key) the scorer.

    inspect eval interpctf/inspect/task.py@interpctf_challenge -T bundle=DIR/bundle -T key=DIR/key.json

The agent never sees the key: the tools read only the public bundle (``python`` runs in the sandbox, where the
bundle alone is mounted); the scorer alone opens the key.
"""

import asyncio
import json
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import Score, Target, mean, scorer
from inspect_ai.solver import TaskState, system_message
from inspect_ai.tool import Tool, ToolError, tool
from inspect_ai.util import store

from interpctf.bundle import bundle_root, key_path, open_challenge, read_manifest
from interpctf.errors import InterpctfError, one_line
from interpctf.grading import grade_file
from interpctf.inspect.python_tool import PYTHON_HELP, loop_with_python
from interpctf.inspect.repl import PythonBudget
from interpctf.kinds import get_kind
from interpctf.registry import registry
from interpctf.schema import AnswerFile
from interpctf.solvers.budget import SolverBudget, QueryMeter

SYSTEM = ("You are solving an interpretability challenge: a model with a planted secret. Use the tools to study "
          "the model, then call submit_answer with your answer file. You may resubmit; the last answer counts.")
ANSWER_KEY = "interpctf_answer"


def statement(bundle_dir: Path) -> str:
    m = read_manifest(bundle_dir)
    public = json.dumps(m.public, sort_keys=True)
    return (f"# {m.title}\n\n{m.statement}\n\nAnswer format: {m.answer_format}. {m.answer_help}\n\n"
            f"Public facts about this challenge: {public}")


@tool
def query(bundle_dir: str, max_queries: int | None) -> Tool:
    meter = QueryMeter(SolverBudget(max_queries=max_queries))
    cache: dict = {}

    async def execute(inputs: str):
        """Run the challenge's model on inputs you choose and return its labels and confidence margins.

        Args:
            inputs: a JSON array of model inputs, e.g. [[3, 50], [7, 1]] for integer pairs (x, y), or
                prompt strings for a language model, e.g. ["Toufil lives in"].
        """
        if "run" not in cache:
            kind = read_manifest(Path(bundle_dir)).kind
            if kind not in registry.names("queriers"):
                raise ToolError(f"the {kind} kind offers no query tool; study the bundle's files instead")
            querier = registry.get("queriers", kind)
            assert callable(querier)
            cache["run"] = querier(Path(bundle_dir), meter)
        try:
            return json.dumps(await asyncio.to_thread(cache["run"], inputs))
        except InterpctfError as exc:
            raise ToolError(one_line(exc)) from None

    return execute


@tool
def submit_answer(bundle_dir: str) -> Tool:
    async def execute(filename: str, content: str):
        """Submit your answer file; it is checked for format now and graded when you finish.

        Args:
            filename: the answer's file name, e.g. rule.py (its extension tells the format).
            content: the full text of the answer file.
        """
        answer = AnswerFile(filename, content.encode())
        challenge = open_challenge(Path(bundle_dir))
        try:
            get_kind(challenge.manifest.kind).parse_answer(answer, challenge)
        except InterpctfError as exc:
            raise ToolError(f"answer refused: {one_line(exc)}") from None
        store().set(ANSWER_KEY, {"filename": filename, "content": content})
        return "answer recorded; it will be graded when you finish"

    return execute


@scorer(metrics=[mean()])
def grader(bundle_dir: str, key_path: str):
    async def score(state: TaskState, target: Target) -> Score:
        answer = state.store.get(ANSWER_KEY)
        if answer is None:
            return Score(value=0.0, explanation="no answer was submitted")
        challenge = open_challenge(Path(bundle_dir), Path(key_path))
        grade = await asyncio.to_thread(grade_file, None, AnswerFile(answer["filename"], answer["content"].encode()),
                                        challenge)
        return Score(value=grade.score, answer=answer["filename"], explanation=f"solved: {grade.solved}",
                     metadata={"solved": grade.solved, "public_score": grade.public_score})

    return score


@task
def interpctf_challenge(bundle: str, key: str, max_queries: int | None = 20_000, message_limit: int = 40,
                        python: bool = True, python_call_seconds: float = 60.0,
                        python_total_seconds: float = 900.0, python_memory_mb: int = 4096) -> Task:
    """``python``: offer the sandboxed ``python`` tool, with its wall seconds per call and for the whole sample
    and its memory (the process tree together)."""
    bundle_dir, key_file = str(bundle_root(Path(bundle))), str(key_path(Path(key)))
    budget = PythonBudget(call_seconds=python_call_seconds, total_seconds=python_total_seconds,
                          memory_bytes=python_memory_mb << 20) if python else None
    system = f"{SYSTEM} {PYTHON_HELP}" if python else SYSTEM
    return Task(dataset=[Sample(input=statement(Path(bundle_dir)), id=read_manifest(Path(bundle_dir)).id)],
                solver=[system_message(system),
                        loop_with_python(lambda: [query(bundle_dir, max_queries), submit_answer(bundle_dir)],
                                         bundle_dir, budget)],
                scorer=grader(bundle_dir, key_file), message_limit=message_limit)
