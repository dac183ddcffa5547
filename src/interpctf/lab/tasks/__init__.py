"""The task registry. Add a task by writing a module with a :class:`Task` subclass and listing it below."""

from __future__ import annotations

from interpctf.errors import InterpctfError
from interpctf.lab.tasks.base import Budget, EvalSplit, Task, TaskData
from interpctf.lab.tasks.digits import DigitsTask
from interpctf.lab.tasks.lm import LMTask
from interpctf.lab.tasks.toy import ToyTask

TASKS: dict[str, type[Task]] = {cls.name: cls for cls in (ToyTask, DigitsTask, LMTask)}


class UnknownTask(InterpctfError):
    pass


def get_task(name: str) -> Task:
    try:
        return TASKS[name]()
    except KeyError:
        raise UnknownTask(f"unknown lab task {name!r}; choose one of {', '.join(sorted(TASKS))}") from None


__all__ = ["TASKS", "Budget", "EvalSplit", "Task", "TaskData", "get_task"]
