"""The streetlight audit of what is published: does a hint (or a proposal's text) let a black-box solver win?

Forge-time calibration asks whether a challenge falls to playing with the model. A hint can reopen that door:
the 2023 CNN challenge's hint showed the secret image, and one participant then solved it by probing distances
to it. Before a hint is published, its data (every numeric array written in it, e.g. ``[[0, 3, ...], ...]``) is
given to the kind's hint-aware black-box solvers (``Kind.hint_solvers``), each answer graded on the public split
like calibration, and the organizer sees which solve with it. Publishing stays the admin's call.
"""

import json
import re
from typing import Any

import numpy as np
from pydantic import BaseModel

from interpctf.errors import BadAnswer, one_line
from interpctf.grading import grade_file
from interpctf.kinds import get_kind
from interpctf.schema import CalibrationRun, Challenge
from interpctf.solvers.budget import SolverBudget

MAX_HINT_CHARS = 64_000
MAX_NUMBERS = 100_000
_OPEN = re.compile(r"\[")


class HintAudit(BaseModel):
    """What the audit found for one hint: the arrays it gives away and each solver's result with them."""

    arrays: list[list[int]]  # the shape of every array found in the hint
    runs: dict[str, CalibrationRun]
    solved_by: list[str]

    @property
    def flagged(self) -> bool:
        return bool(self.solved_by)

    def line(self) -> str:
        if not self.arrays and not self.runs:
            return "passes: the hint holds no data (no numeric arrays) a solver could use"
        if not self.runs:
            return "no hint-aware solver for this kind: nothing to audit"
        if self.flagged:
            return f"FLAGGED: with this hint, {', '.join(self.solved_by)} solves it from the outside"
        return f"passes: no black-box solver solves with it (tried {', '.join(sorted(self.runs))})"


def hint_arrays(text: str) -> list[np.ndarray]:
    """Every outermost bracketed numeric array (JSON syntax) in ``text``, rectangular ones only; bounded."""
    if len(text) > MAX_HINT_CHARS:
        raise BadAnswer(f"hint: {len(text)} characters, over the {MAX_HINT_CHARS} the audit reads")
    out, pos, budget = [], 0, MAX_NUMBERS
    while (match := _OPEN.search(text, pos)) is not None:
        start, depth, end = match.start(), 0, None
        for i in range(start, len(text)):
            depth += {"[": 1, "]": -1}.get(text[i], 0)
            if depth == 0:
                end = i + 1
                break
        if end is None:
            break
        pos = end
        try:
            array = np.asarray(json.loads(text[start:end]), dtype=np.float64)
        except (ValueError, TypeError):  # not JSON, ragged or not numbers: prose in brackets
            pos = start + 1
            continue
        if array.size and array.size <= budget:
            budget -= array.size
            out.append(array)
    return out


def audit_hint(challenge: Challenge, text: str, seconds: float = 120.0, bare: bool = False) -> HintAudit:
    """Run the challenge's hint-aware solvers with the hint's arrays; ``challenge`` must hold its key.

    ``bare``: run them even when the text holds no data (a league proposal, which no forge-time calibration
    covered: the solvers then play with the proposer's model alone)."""
    kind = get_kind(challenge.manifest.kind)
    arrays = hint_arrays(text)
    data: list[Any] = [a.tolist() for a in arrays]
    runs: dict[str, CalibrationRun] = {}
    for name, solve in (kind.hint_solvers() if arrays or bare else {}).items():  # words alone: calibration
        try:
            grade = grade_file(kind, solve(challenge.bundle_dir, SolverBudget(seconds=seconds), data), challenge)
            runs[name] = CalibrationRun(access="black-box", score=round(grade.public_score, 4),
                                        solved=grade.public_solved)
        except Exception as exc:  # a broken solver is recorded, and the hint is not passed silently
            runs[name] = CalibrationRun(access="black-box", score=0.0, solved=False, error=one_line(exc)[:300])
    return HintAudit(arrays=[list(a.shape) for a in arrays], runs=runs,
                     solved_by=sorted(n for n, r in runs.items() if r.solved))


__all__ = ["HintAudit", "hint_arrays", "audit_hint"]
