"""Resource limits for one sandboxed run of an answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Limits applied to one answer (its processes are fresh for every answer).

    ``memory_bytes`` is the budget of the whole answer: every process it forks, its /tmp files and memfds
    together (a cgroup, or the watchdog; see ``cgroup.py``); each process's address space (RLIMIT_AS, which
    includes Python and numpy, about 100 MB of it) is capped at the same figure. ``processes`` caps the answer's
    processes *and* threads together (the pids controller and RLIMIT_NPROC both count tasks). ``output_bytes``
    caps what the answer may print on stdout and stderr together.
    """

    cpu_seconds: float = 20
    wall_seconds: float = 30
    memory_bytes: int = 1 << 30
    processes: int = 32
    output_bytes: int = 1 << 20
    file_bytes: int = 16 << 20

    def __post_init__(self) -> None:
        for name in ("cpu_seconds", "wall_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive")
        for name in ("memory_bytes", "processes", "output_bytes", "file_bytes"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"Limits.{name} must be at least 1")
