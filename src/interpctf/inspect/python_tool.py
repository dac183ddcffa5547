"""The stateful sandboxed ``python`` tool for challenge agents, and the solver that gives a sample its own
sandboxed process and ends it when the sample ends (:mod:`interpctf.inspect.repl` holds the sandbox itself)."""

from __future__ import annotations

import asyncio
from typing import Callable

from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import Tool, ToolError, tool

from interpctf.errors import InterpctfError, one_line
from interpctf.inspect.repl import BUNDLE, PythonBudget, SandboxedPython

PYTHON_HELP = (f"The python tool runs code in a persistent sandboxed Python (torch and numpy installed, the "
               f"challenge's public bundle read-only at {BUNDLE}, a scratch folder /work, no network); variables "
               "persist between calls.")


@tool(name="python")
def python_tool(repl: SandboxedPython) -> Tool:
    lock = asyncio.Lock()  # one call at a time: parallel tool calls share one process

    async def execute(code: str):
        """Run Python code in a persistent sandboxed process and return its stdout, stderr and the value of the
        last expression. Variables, imports and loaded models persist between calls. torch and numpy are
        installed; the challenge's public bundle is at /bundle (read-only, e.g. /bundle/model/); /work is a
        writable scratch folder; there is no network. Each call has a time limit, and so has the task overall.

        Args:
            code: Python source; a final bare expression is shown as its repr, e.g. "model_sum = 1 + 1\\nmodel_sum".
        """
        async with lock:
            try:
                return await asyncio.to_thread(repl.run, code)
            except InterpctfError as exc:
                raise ToolError(one_line(exc)) from None

    return execute


@solver
def loop_with_python(make_tools: Callable[[], list[Tool]], bundle_dir: str, budget: PythonBudget | None) -> Solver:
    """Each sample gets the tools ``make_tools()`` builds plus, unless ``budget`` is None, a ``python`` tool over a
    sandboxed process of its own, then the model's tool loop; the process is killed however the sample ends."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        repl = SandboxedPython(bundle_dir, budget) if budget is not None else None
        state.tools = [*make_tools(), *([python_tool(repl)] if repl is not None else [])]
        try:
            return await generate(state, tool_calls="loop")
        finally:
            if repl is not None:
                await asyncio.to_thread(repl.close)

    return solve
