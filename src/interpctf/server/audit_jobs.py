"""The streetlight audit before publishing, as background work: a new hint and a challenge (item 4 of issue 18).

A hint an admin adds waits unpublished while the kind's hint-aware black-box solvers run with its data
(:func:`interpctf.audit.audit_hint`); a challenge's audit reads the forge-time calibration from its manifest and
runs the same solvers with the challenge's public statement. The admin sees which solvers solve and may publish
anyway; the result stays on the row (``Hint.audit``, ``Challenge.audit``) and the challenge's page shows it.

The solvers train nothing but query the organizer's model for minutes, so they run through the grading
executor (a worker process; Ray where configured), never on the web process's threads; a thread here only
waits for the job and stores its result. Hints and challenges are the organizer's own content; a league
proposal (a participant's model) is audited inside the sandbox by its check job instead
(:mod:`interpctf.sandbox.forge_job`).
"""

import logging
import threading
from pathlib import Path

from sqlalchemy import update

from interpctf.audit import audit_hint
from interpctf.bundle import open_challenge, read_manifest
from interpctf.errors import one_line
from interpctf.executor import get_executor
from interpctf.server.models import Challenge, Hint, utcnow
from interpctf.server.state import ServerState, variants_of

log = logging.getLogger("interpctf.server.audit")
SOLVER_SECONDS = 120.0


def calibration_verdict(bundle_dir: Path) -> dict:
    """What forge-time calibration recorded: ``{"calibrated", "solved_by"}`` (black-box solvers only)."""
    calibration = read_manifest(bundle_dir).calibration
    if calibration is None:
        return {"calibrated": False, "solved_by": []}
    return {"calibrated": True, "solved_by": sorted(calibration.solved_by.get("black-box", []))}


def audit_job(bundle_dir: str, key_path: str, text: str, seconds: float) -> dict:
    """A module-level job for the executor: the hint audit of ``text`` as JSON, with its one-line verdict."""
    result = audit_hint(open_challenge(bundle_dir, key_path), text, seconds)
    return {**result.model_dump(mode="json"), "flagged": result.flagged, "line": result.line()}


def challenge_verdict(calibration: dict, statement: dict) -> tuple[bool, str]:
    """One line for the challenge's card: bare (calibration) and with its statement's data (the audit)."""
    bare = calibration["solved_by"]
    parts = [f"{', '.join(bare)} solves it bare" if bare else
             ("no black-box solver solves it bare" if calibration["calibrated"] else
              "not calibrated at forge time (forge with --calibrate)")]
    if statement["arrays"]:  # the statement's own wording, not a hint's: the line says which data it was
        solvers = statement["solved_by"]
        parts.append(f"with the statement's data, {', '.join(solvers)} solves it" if solvers else
                     f"the statement's data helps no black-box solver (tried {', '.join(sorted(statement['runs']))})"
                     if statement["runs"] else "the statement holds data but the kind has no hint-aware solver")
    flagged = bool(bare) or statement["flagged"]
    return flagged, ("FLAGGED: " if flagged else "passes: ") + "; ".join(parts)


def _paths(state: ServerState, s, challenge_id: int) -> list[tuple[int, str, str]]:
    """(number, bundle, key) of every variant: each team gets one, so a hint or a statement is audited on all."""
    return [(v.number, str(state.data_dir / v.bundle_path), str(state.data_dir / v.key_path))
            for v in variants_of(s, challenge_id)]


def merge_variants(results: list[tuple[int, dict]]) -> dict:
    """One audit from each variant's (``(number, result)``): flagged when any variant is, ``solved_by`` their
    union, the line and figures those of the first flagged variant (else variant 0's, its line as it is: they
    all pass), every variant kept."""
    if len(results) == 1:
        return results[0][1]
    flagged = [n for n, r in results if r["flagged"]]
    shown = next((r for n, r in results if r["flagged"]), results[0][1])
    line = shown["line"]
    if flagged:
        line += f" [variant {flagged[0]}; flagged on {len(flagged)} of {len(results)} variants: " \
                f"{', '.join(map(str, flagged))}]"
    return {**shown, "solved_by": sorted({x for _, r in results for x in r["solved_by"]}),
            "flagged": bool(flagged), "line": line, "variants": [{"variant": n, **r} for n, r in results]}


def _store(state: ServerState, model, row_id: int, audit: dict) -> None:
    with state.db.write() as s:
        s.execute(update(model).where(model.id == row_id).values(audit=audit))


def _run(state: ServerState, model, row_id: int, work) -> None:
    """Run ``work()`` (which submits to the executor) and store what it returns, or the failure in one line."""
    try:
        audit = {"status": "done", **work(), "at": utcnow().isoformat()}
    except Exception as exc:  # a broken solver or a missing file is shown to the admin, never left running
        log.exception("audit of %s %s failed", model.__tablename__, row_id)
        audit = {"status": "failed", "error": one_line(exc)[:300], "flagged": False, "at": utcnow().isoformat()}
    _store(state, model, row_id, audit)


def _submit(state: ServerState, bundle: str, key: str, text: str) -> dict:
    with get_executor(state.settings.executor, 1) as executor:
        return executor.submit(audit_job, bundle, key, text, SOLVER_SECONDS).result()


def _hint_work(state: ServerState, paths: list[tuple[int, str, str]], text: str) -> dict:
    return merge_variants([(n, _submit(state, bundle, key, text)) for n, bundle, key in paths])


def _challenge_work(state: ServerState, paths: list[tuple[int, str, str]], statement: str) -> dict:
    def one(bundle: str, key: str) -> dict:
        calibration = calibration_verdict(Path(bundle))
        with_statement = _submit(state, bundle, key, statement)
        flagged, line = challenge_verdict(calibration, with_statement)
        solved_by = sorted(set(calibration["solved_by"]) | set(with_statement["solved_by"]))
        return {"calibration": calibration, "statement": with_statement, "flagged": flagged, "line": line,
                "solved_by": solved_by}
    return merge_variants([(n, one(bundle, key)) for n, bundle, key in paths])


def start_hint_audit(state: ServerState, hint_id: int) -> threading.Thread:
    """Mark the hint's audit running and run it in the background; the hint stays unpublished meanwhile."""
    with state.db.write() as s:
        hint = s.get(Hint, hint_id)
        paths = _paths(state, s, hint.challenge_id)
        text = hint.content
        s.execute(update(Hint).where(Hint.id == hint_id).values(audit={"status": "running"}))
    return _start(f"audit-hint-{hint_id}",
                  lambda: _run(state, Hint, hint_id, lambda: _hint_work(state, paths, text)))


def start_challenge_audit(state: ServerState, challenge_id: int) -> threading.Thread:
    """The challenge's audit: its calibration, and its public statement given to the hint-aware solvers."""
    with state.db.write() as s:
        paths = _paths(state, s, challenge_id)
        statement = s.get(Challenge, challenge_id).statement
        s.execute(update(Challenge).where(Challenge.id == challenge_id).values(audit={"status": "running"}))
    return _start(f"audit-challenge-{challenge_id}", lambda: _run(
        state, Challenge, challenge_id, lambda: _challenge_work(state, paths, statement)))


def _start(name: str, target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True, name=name)
    thread.start()
    return thread


__all__ = ["audit_job", "calibration_verdict", "challenge_verdict", "merge_variants",
           "start_challenge_audit", "start_hint_audit"]
