"""The solver registry: a name -> :class:`SolverEntry` map, the extension point for automated solvers.

Every kind's baselines are wrapped here as ``KIND/NAME`` (their access, black-box or white-box, comes from the
kind); ``reference`` and ``trivial`` anchor the normalized score; stronger solvers register themselves.
A solver sees only the public bundle; ``reference`` alone is handed the key.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from interpctf.errors import InterpctfError
from interpctf.kinds import get_kind, kind_names
from interpctf.kinds.base import AnswerFile
from interpctf.solvers.budget import Budget

Access = Literal["black-box", "white-box", "key"]
SolveFn = Callable[..., AnswerFile]  # solve(bundle_dir, budget) -> AnswerFile; key solvers also get key_path


@dataclass(frozen=True)
class SolverEntry:
    name: str
    kind: str | None  # the kind it solves; None: any kind
    access: Access
    solve: SolveFn
    description: str = ""

    def applies_to(self, kind: str) -> bool:
        return self.kind is None or self.kind == kind

    def run(self, bundle_dir: Path, budget: Budget, key_path: Path | None = None) -> AnswerFile:
        if self.kind is not None:
            from interpctf.bundle import read_manifest

            actual = read_manifest(bundle_dir).kind
            if actual != self.kind:
                raise InterpctfError(f"solver {self.name} solves {self.kind} challenges, not {actual}")
        if self.access == "key":
            if key_path is None:
                raise InterpctfError(f"solver {self.name} needs the challenge's key")
            return self.solve(bundle_dir, budget, key_path)
        return self.solve(bundle_dir, budget)


_REGISTRY: dict[str, SolverEntry] = {}
_BUILTIN_MODULES = ("interpctf.solvers.anchors", "interpctf.solvers.labelfn_rules.solver")


def register_solver(entry: SolverEntry) -> SolverEntry:
    _REGISTRY[entry.name] = entry
    return entry


def _load_builtins() -> None:
    from importlib import import_module

    for module in _BUILTIN_MODULES:
        import_module(module)
    for kind_name in kind_names():
        kind = get_kind(kind_name)
        for baseline in kind.baselines():
            name = f"{kind_name}/{baseline}"
            if name not in _REGISTRY:
                _REGISTRY[name] = SolverEntry(name=name, kind=kind_name, access=kind.baseline_access(baseline),
                                              solve=_BaselineSolve(kind_name, baseline),
                                              description=f"the {kind_name} kind's {baseline} baseline")


@dataclass(frozen=True)
class _BaselineSolve:
    """A kind's baseline behind the solver interface (a class, not a closure, so it pickles)."""

    kind: str
    baseline: str

    def __call__(self, bundle_dir: Path, budget: Budget) -> AnswerFile:
        from interpctf.bundle import open_challenge

        return get_kind(self.kind).baselines()[self.baseline](open_challenge(bundle_dir))


def all_solvers() -> dict[str, SolverEntry]:
    _load_builtins()
    return dict(sorted(_REGISTRY.items()))


def solver_names() -> list[str]:
    return list(all_solvers())


def get_solver(name: str) -> SolverEntry:
    solvers = all_solvers()
    if name not in solvers:
        raise InterpctfError(f"unknown solver {name!r}; known solvers: {', '.join(solvers)}")
    return solvers[name]


def solvers_for(kind: str) -> dict[str, SolverEntry]:
    return {n: s for n, s in all_solvers().items() if s.applies_to(kind)}
