"""Progress reporting for long steps. The library reports through this protocol; the CLI draws rich bars."""

from contextlib import AbstractContextManager, contextmanager
from typing import Iterator, Protocol


class Step(Protocol):
    def advance(self, amount: float = 1.0) -> None: ...

    def update(self, *, completed: float | None = None, description: str | None = None) -> None: ...


class Progress(Protocol):
    def step(self, description: str, total: float | None = None) -> AbstractContextManager[Step]: ...


class _SilentStep:
    def advance(self, amount: float = 1.0) -> None:
        pass

    def update(self, *, completed: float | None = None, description: str | None = None) -> None:
        pass


class SilentProgress:
    """The default when nobody is watching (tests, the server's workers)."""

    @contextmanager
    def step(self, description: str, total: float | None = None) -> Iterator[Step]:
        yield _SilentStep()

