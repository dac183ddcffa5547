"""Background work for league proposals: forge a recipe (reporting progress to the proposal row), then check the
plant: every variant's key must match its bundle's commitment and its own reference answer must grade as solved;
the kind's baselines run so the proposer sees whether a black-box baseline solves it before publishing.

A proposal is the proposer's code and files, so all of that work runs in the sandbox's forge profile
(:mod:`interpctf.sandbox.forge_profile`), within the event's ``league.forge`` budgets: the recipe's ``secret``
and ``draw``, the loading of the proposer's model, and every baseline run over it. What the job reports is a
claim: the verdict is re-derived here from the files, by ``verify`` (hashes, commitment) and by grading the key's
reference answer through the normal grading path (the one every answer to the published challenge takes). Only
the baselines' figures, which the proposer alone sees, are the job's.

A thread of the web process waits for the job: forging is rare and proposers watch its progress page. A restart
cuts such a thread off, so the server resumes, when it starts, every proposal still forging or checking.
"""

import logging
import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select, update

from interpctf.bundle import open_challenge, verify
from interpctf.errors import InterpctfError, one_line
from interpctf.grading import grade_file
from interpctf.intake.models import check_models
from interpctf.recipe import load_recipe
from interpctf.sandbox import forge_profile
from interpctf.sandbox.forge_profile import FORGE_OUT, OUTPUT_DIR, JobReport
from interpctf.server.models import LeagueProposal, LeagueRound, utcnow
from interpctf.server.modes import load_config
from interpctf.server.setup import variant_folders
from interpctf.server.state import ServerState

log = logging.getLogger("interpctf.server.league")
MAX_JSON_BYTES = 64 << 20  # a key or manifest read here, in the web process (a key's probes take a few MB)
FORGED_DIR = "forged"  # where a recipe proposal is forged, inside the proposal's folder


class _RowProgress:
    """A :class:`interpctf.progress.Progress` that writes the current step to the proposal, at most twice a
    second (the progress page polls it)."""

    def __init__(self, state: ServerState, proposal_id: int):
        self.state, self.proposal_id, self._last = state, proposal_id, 0.0

    def write(self, values: dict, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last > 0.5:
            self._last = now
            _set(self.state, self.proposal_id, progress=stamped(values))

    @contextmanager
    def step(self, description: str, total: float | None = None):
        self.write({"step": description, "done": 0, "total": total}, force=True)
        yield _Step(self, description, total)


class _Step:
    def __init__(self, progress: _RowProgress, description: str, total: float | None):
        self.progress, self.description, self.total, self.done = progress, description, total, 0.0

    def advance(self, amount: float = 1.0) -> None:
        self.done += amount
        self._report()

    def update(self, *, completed: float | None = None, description: str | None = None) -> None:
        if completed is not None:
            self.done = completed
        if description is not None:
            self.description = description
        self._report()

    def _report(self) -> None:
        self.progress.write({"step": self.description, "done": self.done, "total": self.total})


def stamped(progress: dict) -> dict:
    """Progress with the time it was written: a proposal silent for long was cut off by a restart."""
    return {**progress, "at": utcnow().isoformat()}


def _set(state: ServerState, proposal_id: int, **values) -> None:
    with state.db.write() as s:
        s.execute(update(LeagueProposal).where(LeagueProposal.id == proposal_id).values(**values))


def _bounded(progress: dict) -> dict:
    """The job's progress values as the row stores them: short strings and numbers only."""
    return {str(k)[:40]: (v[:200] if isinstance(v, str) else v) for k, v in progress.items()}


def plant_report(folder: Path, job: JobReport, kind: str | None = None) -> dict:
    """The plant check of every variant in ``folder`` (forge output or an upload): ``{"ok", "reason", "variants"}``.

    ``job`` is the sandboxed job's report: its baselines' figures are shown; its verdict is not used. ``kind``:
    the kind the recipe names (forge output must be of it, whatever the job wrote in its manifests)."""
    claims = {v.folder: v for v in job.variants}
    folders = variant_folders(folder)
    if len(folders) > len(claims):  # bounds the work below by what the (size-checked) report may hold
        raise InterpctfError(f"the job left {len(folders)} variants but checked {len(claims)}")
    variants, reasons = [], []
    for vf in folders:
        name = vf.relative_to(folder).as_posix()
        claim = claims.get(name)
        for big in (vf / "key.json", vf / "bundle" / "challenge.json"):
            if big.is_symlink() or big.stat().st_size > MAX_JSON_BYTES:
                raise InterpctfError(f"{vf.name}: {big.name} is over {MAX_JSON_BYTES >> 20} MiB or a link")
        report = verify(vf / "bundle", vf / "key.json")
        if not report.ok or claim is None or claim.problem:
            problem = report.problems[0] if not report.ok else (claim.problem if claim else "the check did not run")
            reasons.append(f"{vf.name}: {problem}")
            variants.append({"folder": vf.name, "commitment": report.commitment_expected, "reference": None,
                             "baselines": {}})
            continue
        challenge = open_challenge(vf / "bundle", vf / "key.json")
        if kind is not None and challenge.manifest.kind != kind:
            raise InterpctfError(f"{vf.name}: the forge output is a {challenge.manifest.kind!r} challenge, the recipe "
                                 f"a {kind!r} one")
        check_models(vf / "bundle", challenge.manifest.kind)  # before the grader below may build the model
        ref = grade_file(None, challenge.key.reference_answer.file(), challenge)
        if not ref.solved:
            reasons.append(f"the key's own reference answer does not solve it (score {ref.score:.3f}); "
                           "the plant is not real")
        variants.append({"folder": vf.name, "commitment": report.commitment_expected,
                         "reference": {"score": ref.score, "solved": ref.solved},
                         "baselines": {n: {"score": b.score, "solved": b.solved} for n, b in claim.baselines.items()},
                         "audit": {n: {"score": b.score, "solved": b.solved} for n, b in claim.audit.items()}})
    return {"ok": not reasons, "reason": "; ".join(reasons), "variants": variants}


def _forge(folder: Path, challenge: str, config, progress: _RowProgress) -> JobReport:
    """Forge the recipe proposal in ``folder`` in the sandbox; its output lands in ``folder/forged``."""
    try:
        report = forge_profile.run_job("forge", folder, config.forge, challenge=challenge,
                                       recipe_caps=config.recipe_caps.model_dump(),
                                       on_progress=lambda values: progress.write(_bounded(values)))
        out = folder / OUTPUT_DIR / FORGE_OUT
        if not report.error:
            if out.is_symlink() or not out.is_dir():
                raise forge_profile.ForgeJobFailed("the forge job left no forge output")
            os.replace(out, folder / FORGED_DIR)
        return report
    finally:
        shutil.rmtree(folder / OUTPUT_DIR, ignore_errors=True)


def run_proposal(state: ServerState, proposal_id: int, source: str) -> None:
    """Forge (recipe proposals) and check; leaves the proposal ``ready``, ``refused`` or ``failed``."""
    with state.db.read() as s:
        row = s.get(LeagueProposal, proposal_id)
        folder = state.data_dir / row.folder
        number = s.get(LeagueRound, row.round_id).number
        team_id = row.team_id
        config = load_config(s, state.event(s)).league
    progress = _RowProgress(state, proposal_id)
    try:
        if source == "recipe":
            job = _forge(folder, f"r{number}-t{team_id}", config, progress)
            if not job.error:
                _set(state, proposal_id, status="checking", progress=stamped({"step": "checking the plant"}))
        else:
            job = forge_profile.run_job("check", folder, config.forge,
                                        on_progress=lambda values: progress.write(_bounded(values)))
        if job.error:
            status = "refused" if job.error.startswith("refused:") else "failed"
            _set(state, proposal_id, status=status, error=one_line(ValueError(job.error))[:500], progress={})
            return
        target = folder / FORGED_DIR if source == "recipe" else folder
        kind = load_recipe(folder / "recipe.yaml").kind if source == "recipe" else None
        report = plant_report(target, job, kind)
    except (InterpctfError, ValueError, OSError) as exc:
        _set(state, proposal_id, status="failed", error=one_line(exc)[:500], progress={})
        return
    except Exception as exc:  # a broken kind must not leave the proposal spinning forever
        log.exception("league proposal %s failed", proposal_id)
        _set(state, proposal_id, status="failed", error=f"{type(exc).__name__}: {one_line(exc)}"[:500], progress={})
        return
    rel = str(target.relative_to(state.data_dir))
    _set(state, proposal_id, status="ready" if report["ok"] else "refused", check=report, folder=rel,
         error=report["reason"][:500], progress={})


def start(state: ServerState, proposal_id: int, source: str) -> threading.Thread:
    thread = threading.Thread(target=run_proposal, args=(state, proposal_id, source), daemon=True,
                              name=f"league-proposal-{proposal_id}")
    thread.start()
    return thread


def resume_interrupted(state: ServerState) -> list[int]:
    """Start again every proposal a restart left forging or checking; returns their ids. A recipe is forged
    afresh (a half-forged output folder is discarded); a bundle + key is checked again."""
    with state.db.read() as s:
        rows = s.execute(select(LeagueProposal.id, LeagueProposal.source, LeagueProposal.folder)
                         .where(LeagueProposal.status.in_(("forging", "checking")))).all()
    for pid, source, folder in rows:
        if source == "recipe":
            shutil.rmtree(state.data_dir / folder / FORGED_DIR, ignore_errors=True)
            shutil.rmtree(state.data_dir / folder / OUTPUT_DIR, ignore_errors=True)
            _set(state, pid, status="forging", progress=stamped({"step": "resumed after a restart"}))
        start(state, pid, source)
    if rows:
        log.info("resumed %d league proposal(s) cut off by a restart", len(rows))
    return [pid for pid, _, _ in rows]
