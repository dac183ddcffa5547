"""Calibration at forge time: which of the kind's baselines and registered solvers solve a fresh challenge,
black-box vs white-box.

The "streetlight" check: a challenge that a black-box baseline solves can be won by playing with the model
alone, without any interpretability. Figures are on the public probe split, like the manifest's baselines.
"""

from collections.abc import Callable

from interpctf.errors import one_line
from interpctf.grading import grade_file
from interpctf.kinds import AnyKind, get_kind
from interpctf.schema import BaselineAccess, Calibration, CalibrationRun, Challenge
from interpctf.solvers.budget import SolverBudget
from interpctf.solvers.registry import solvers_for

OnDone = Callable[[], object] | None


def summarize(runs: dict[str, CalibrationRun]) -> Calibration:
    solved_by: dict[BaselineAccess, list[str]] = {
        access: sorted(n for n, r in runs.items() if r.solved and r.access == access)
        for access in ("black-box", "white-box")}
    return Calibration(black_box_solvable=bool(solved_by["black-box"]),
                       white_box_solvable=bool(solved_by["white-box"]), solved_by=solved_by, runs=runs)


def run_baselines(kind: AnyKind, challenge: Challenge, on_done: OnDone = None) -> dict[str, CalibrationRun]:
    """Grade every baseline of ``kind`` on ``challenge`` (which holds the key); baselines see only the bundle."""
    public_view = challenge.public_view()
    runs = {}
    for name, solve in kind.baselines().items():
        access = kind.baseline_access(name)
        try:
            grade = grade_file(kind, solve(public_view), challenge)
            runs[name] = CalibrationRun(access=access, score=round(grade.public_score, 4), solved=grade.public_solved)
        except Exception as exc:  # a broken baseline must not lose a forge that took minutes
            runs[name] = CalibrationRun(access=access, score=0.0, solved=False, error=one_line(exc)[:300])
        if on_done is not None:
            on_done()
    return runs


def run_solvers(challenge: Challenge, seconds: float = 300.0, on_done: OnDone = None) -> dict[str, CalibrationRun]:
    """Grade the registered solvers of the challenge's kind that are not its baselines (e.g. a rule search):
    a challenge one of them solves from the outside is as streetlight-prone as one a baseline solves."""
    kind = get_kind(challenge.manifest.kind)
    wrapped = {f"{kind.name}/{name}" for name in kind.baselines()}
    runs = {}
    for name, entry in solvers_for(kind.name).items():
        if entry.kind is None or name in wrapped or entry.access == "key":
            continue
        try:
            answer = entry.run(challenge.bundle_dir, SolverBudget(seconds=seconds))
            grade = grade_file(kind, answer, challenge)
            runs[name] = CalibrationRun(access=entry.access, score=round(grade.public_score, 4),
                                        solved=grade.public_solved)
        except Exception as exc:  # as for baselines: recorded, never a lost forge
            runs[name] = CalibrationRun(access=entry.access, score=0.0, solved=False, error=one_line(exc)[:300])
        if on_done is not None:
            on_done()
    return runs


def calibration_text(calibration: Calibration | None) -> str:
    """The card's calibration section (markdown)."""
    if calibration is None:
        return "Not calibrated (forge with `--calibrate` to run the baselines and record which solve it).\n"

    def line(access: str, solvable: bool) -> str:
        tried = [n for n, r in calibration.runs.items() if r.access == access]
        if not tried:
            return f"- {access}: no baseline of this kind"
        verdict = "**solvable** by " + ", ".join(calibration.solved_by.get(access, [])) if solvable else "not solved"
        return f"- {access}: {verdict} (tried: {', '.join(tried)})"

    return ("Which baselines solve this challenge (public probe split). Black-box baselines only query the model;"
            " white-box ones look inside it.\n\n" + line("black-box", calibration.black_box_solvable) + "\n"
            + line("white-box", calibration.white_box_solvable) + "\n")


def calibrate(challenge: Challenge) -> Calibration:
    """Calibrate a forged challenge (opened with its key) by its kind's baselines and stronger solvers."""
    return summarize({**run_baselines(get_kind(challenge.manifest.kind), challenge), **run_solvers(challenge)})
