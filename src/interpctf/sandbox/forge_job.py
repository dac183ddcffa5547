"""The process inside a forge-profile sandbox (see :mod:`interpctf.sandbox.forge_profile`): become the job's
unprivileged uid, set the limits, then forge the proposal's recipe and/or check its plant, writing progress lines
and one report line on the line pipe.

Everything after ``_confine`` may run a proposer's code (their recipe's ``secret``/``draw``, and through the
grader their reference answer): the report is therefore only a claim, which the host validates and re-derives.
Inside this sandbox an answer program runs in this same process (``interpctf.sandbox.map_function`` is replaced
here): a sandbox cannot be nested (seccomp refuses new namespaces), and this process is the sandbox already.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from interpctf.sandbox.forge_profile import (FORGE_OUT, JOB_DIR, OUTPUT_DIR, BaselineFigure, JobLine, JobReport,
                                              JobSpec, VariantReport)

def _read_spec() -> tuple[JobSpec, int]:
    """The spec and the line pipe's fd number: two lines on stdin, bounded."""
    data = b""
    while data.count(b"\n") < 2 and len(data) < 65536:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        data += chunk
    spec_line, fd_line = data.split(b"\n")[:2]
    return JobSpec.model_validate_json(spec_line), int(fd_line)


def _confine(spec: JobSpec) -> None:
    """Drop to the job's uid for good and set the limits (the host's death is watched by the next function)."""
    from interpctf.sandbox.confine import confine

    b = spec.budget
    confine(spec.uid, cpu_seconds=b.cpu_seconds, memory_bytes=b.memory_bytes, processes=b.processes,
            file_bytes=b.disk_bytes)


class _LineProgress:
    """:class:`interpctf.progress.Progress` as JSON lines on the line pipe, at most four a second."""

    def __init__(self, write):
        self.write, self._last = write, 0.0

    def send(self, values: dict, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last > 0.25:
            self._last = now
            self.write(JobLine(progress=values))

    @contextmanager
    def step(self, description: str, total: float | None = None):
        self.send({"step": description[:200], "done": 0, "total": total}, force=True)
        yield _Step(self, description[:200], total)


class _Step:
    def __init__(self, progress: _LineProgress, description: str, total: float | None):
        self.progress, self.description, self.total, self.done = progress, description, total, 0.0

    def advance(self, amount: float = 1.0) -> None:
        self.done += amount
        self.progress.send({"step": self.description, "done": self.done, "total": self.total})

    def update(self, *, completed: float | None = None, description: str | None = None) -> None:
        if completed is not None:
            self.done = completed
        if description is not None:
            self.description = description[:200]
        self.progress.send({"step": self.description, "done": self.done, "total": self.total})


def map_in_process(source: str, function: str, inputs, *, unpack: bool, limits=None):
    """``interpctf.sandbox.map_function`` for code already inside this sandbox: the warm sandbox's own per-answer
    logic (same statuses, same messages), run here."""
    from interpctf.sandbox import warm, worker

    rows = warm._as_inputs(inputs, unpack)
    frame = worker._run_answer(source, function, rows.tolist() if unpack else rows, unpack)
    return warm._parse_frame(frame, len(rows))


def _plant(folder: Path, forged_baselines: bool) -> list[VariantReport]:
    """The plant check of every variant under ``folder`` (the job's claims; the host re-derives the verdict)."""
    from interpctf.bundle import open_challenge, verify
    from interpctf.grading import check_plant, grade_file
    from interpctf.server.setup import variant_folders

    reports = []
    for vf in variant_folders(folder):
        report = verify(vf / "bundle", vf / "key.json")
        if not report.ok:
            reports.append(VariantReport(folder=vf.relative_to(folder).as_posix(), problem=report.problems[0][:500]))
            continue
        challenge = open_challenge(vf / "bundle", vf / "key.json")
        if forged_baselines:  # forge just ran and recorded them in the manifest: not run twice
            reference = grade_file(None, challenge.key.reference_answer.file(), challenge)
            baselines = {n: BaselineFigure(score=b.score, solved=b.solved)
                         for n, b in (challenge.manifest.baselines or {}).items()}
        else:
            result = check_plant(challenge)
            reference = result["reference"]
            baselines = {n: BaselineFigure(score=g.public_score, solved=g.public_solved)
                         for n, g in result["baselines"].items()}
        reports.append(VariantReport(folder=vf.relative_to(folder).as_posix(), reference_score=reference.score,
                                     reference_solved=reference.solved, baselines=baselines,
                                     audit=_audit(challenge)))
    return reports


def _audit(challenge) -> dict[str, BaselineFigure]:
    """The audit before publishing a proposal (issue 18): no forge-time calibration covered the proposer's model,
    so the kind's hint-aware black-box solvers run on it bare, with any data its statement gives away."""
    from interpctf.audit import audit_hint

    runs = audit_hint(challenge, challenge.manifest.statement, bare=True).runs
    return {n: BaselineFigure(score=r.score, solved=r.solved) for n, r in runs.items()}


def _run(spec: JobSpec, progress: _LineProgress) -> JobReport:
    job = Path(JOB_DIR)
    if spec.action == "forge":
        from interpctf.forge import forge
        from interpctf.recipe import load_recipe

        out = job / OUTPUT_DIR / FORGE_OUT
        recipe = load_recipe(job / "recipe.yaml")
        if spec.recipe_caps is not None:  # trusted code, before the recipe's own runs: sizes that need torch
            from interpctf.server.league_caps import RecipeCaps, check_caps

            check_caps(recipe, RecipeCaps.model_validate(spec.recipe_caps), full=True)
        forge(recipe, out, spec.challenge, progress, run_baselines=True)
        progress.send({"step": "checking the plant"}, force=True)
        return JobReport(variants=_plant(out, forged_baselines=True))
    return JobReport(variants=_plant(job, forged_baselines=False))


def _failure(exc: BaseException, spec: JobSpec) -> str:
    from interpctf.errors import InterpctfError, one_line

    text = one_line(exc)
    if isinstance(exc, MemoryError) or "allocate memory" in text or "bad_alloc" in text:
        return f"the forge job ran out of memory (budget {spec.budget.memory_bytes >> 20} MiB)"
    if isinstance(exc, (InterpctfError, ValueError, OSError)):
        return text[:500]
    return f"{type(exc).__name__}: {text}"[:500]


def _exit_when_the_host_goes() -> None:
    from interpctf.sandbox.confine import exit_when_the_host_goes

    exit_when_the_host_goes()


def main() -> None:
    spec, line_fd = _read_spec()
    _confine(spec)
    _exit_when_the_host_goes()
    out = os.fdopen(line_fd, "w", buffering=1)
    os.dup2(2, 1)  # whatever the proposer's code prints goes to the host's log, never onto the line pipe

    def write(line: JobLine) -> None:
        out.write(line.model_dump_json(exclude_none=True) + "\n")

    import interpctf.sandbox

    interpctf.sandbox.map_function = map_in_process
    try:
        report = _run(spec, _LineProgress(write))
    except BaseException as exc:  # noqa: BLE001  (SystemExit from proposer code too: reported, not fatal)
        report = JobReport(error=_failure(exc, spec))
    write(JobLine(report=report))
    out.flush()
    sys.stderr.flush()
    os._exit(0)  # no interpreter teardown: threads of torch or of proposer code must not hold the exit


if __name__ == "__main__":
    main()
