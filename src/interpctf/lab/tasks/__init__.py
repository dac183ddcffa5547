"""The lab tasks: the registry's ``lab_tasks`` group, each entry a :class:`Task` subclass. Add one by writing a
module with a subclass and registering it (built-ins in :data:`interpctf.registry.BUILTINS`, other packages
through the ``interpctf.lab_tasks`` entry point)."""

from __future__ import annotations

from interpctf.errors import InterpctfError
from interpctf.lab.tasks.base import EvalSplit, Task, TaskBudget, TaskData
from interpctf.registry import UnknownEntry, registry


class UnknownTask(InterpctfError):
    pass


def task_class(name: str) -> type[Task]:
    try:
        cls = registry.get("lab_tasks", name)
    except UnknownEntry:
        raise UnknownTask(f"unknown lab task {name!r}; choose one of {', '.join(task_names())}") from None
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise TypeError(f"lab_tasks {name!r} ({registry.source('lab_tasks', name)}) is not a Task")
    return cls


def task_names() -> list[str]:
    return registry.names("lab_tasks")


def task_classes() -> dict[str, type[Task]]:
    return {name: task_class(name) for name in task_names()}


def get_task(name: str, options: dict | None = None) -> Task:
    """The task ``name``, with its own options (sae-lm: ``model``, ``hook``, ``corpus``) when given."""
    return task_class(name)(options)


__all__ = ["TaskBudget", "EvalSplit", "Task", "TaskData", "UnknownTask", "get_task", "task_class", "task_classes",
           "task_names"]
