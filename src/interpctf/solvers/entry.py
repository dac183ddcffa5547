"""A solver as the registry holds it: what it solves, what it may see, and how to run it."""

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from interpctf.bundle import read_manifest
from interpctf.errors import InterpctfError
from interpctf.schema import AnswerFile
from interpctf.solvers.budget import SolverBudget

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

    def run(self, bundle_dir: Path, budget: SolverBudget, key_path: Path | None = None) -> AnswerFile:
        if self.kind is not None:
            actual = read_manifest(bundle_dir).kind
            if actual != self.kind:
                raise InterpctfError(f"solver {self.name} solves {self.kind} challenges, not {actual}")
        if self.access == "key":
            if key_path is None:
                raise InterpctfError(f"solver {self.name} needs the challenge's key")
            return self.solve(bundle_dir, budget, key_path)
        return self.solve(bundle_dir, budget)
