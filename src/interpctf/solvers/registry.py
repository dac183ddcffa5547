"""The solvers: every entry of the registry's ``solvers`` group, the extension point for automated solvers.

Every kind's baselines are wrapped as ``KIND/NAME`` (their access, black-box or white-box, comes from the kind),
and its :meth:`~interpctf.kinds.base.Kind.solvers` join under their own names; ``reference`` and ``trivial``
anchor the normalized score. A solver sees only the public bundle; ``reference`` alone is handed the key.
"""

from dataclasses import dataclass
from pathlib import Path

from interpctf.bundle import open_challenge
from interpctf.kinds import get_kind, kind_names
from interpctf.registry import Registry, registry
from interpctf.schema import AnswerFile
from interpctf.solvers.budget import SolverBudget
from interpctf.solvers.entry import Access, SolveFn, SolverEntry


@dataclass(frozen=True)
class _BaselineSolve:
    """A kind's baseline behind the solver interface (a class, not a closure, so it pickles)."""

    kind: str
    baseline: str

    def __call__(self, bundle_dir: Path, budget: SolverBudget) -> AnswerFile:
        return get_kind(self.kind).baselines()[self.baseline](open_challenge(bundle_dir))


def register_kind_solvers(reg: Registry) -> None:
    """Wrap every kind's baselines and add its own solvers (the registry calls this when it loads solvers)."""
    for kind_name in kind_names():
        kind = get_kind(kind_name)
        source = f"kind {kind_name} ({reg.source('kinds', kind_name)})"
        for baseline in kind.baselines():
            name = f"{kind_name}/{baseline}"
            reg.register("solvers", name, SolverEntry(
                name=name, kind=kind_name, access=kind.baseline_access(baseline),
                solve=_BaselineSolve(kind_name, baseline), description=f"the {kind_name} kind's {baseline} baseline"),
                source=source)
        for entry in kind.solvers():
            reg.register("solvers", entry.name, entry, source=source)


def all_solvers() -> dict[str, SolverEntry]:
    return {name: registry.get_as("solvers", name, SolverEntry) for name in registry.names("solvers")}


def solver_names() -> list[str]:
    return registry.names("solvers")


def get_solver(name: str) -> SolverEntry:
    return registry.get_as("solvers", name, SolverEntry)


def solvers_for(kind: str) -> dict[str, SolverEntry]:
    return {n: s for n, s in all_solvers().items() if s.applies_to(kind)}


__all__ = ["Access", "SolveFn", "SolverEntry", "all_solvers", "solver_names", "get_solver", "solvers_for"]
