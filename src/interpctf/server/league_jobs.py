"""Background work for league proposals: forge a recipe (reporting progress to the proposal row), then check the
plant: every variant's key must match its bundle's commitment and its own reference answer must grade as solved;
the kind's baselines run so the proposer sees whether a black-box baseline solves it before publishing.

Runs in a thread of the web process: forging is rare and proposers watch its progress page. A restart cuts
such a thread off, so the server resumes, when it starts, every proposal still forging or checking.
"""

import logging
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select, update

from interpctf.bundle import open_challenge, verify
from interpctf.errors import InterpctfError, one_line
from interpctf.grading import check_plant
from interpctf.server.league import FORGED_DIR
from interpctf.server.models import LeagueProposal, LeagueRound, utcnow
from interpctf.server.setup import variant_folders
from interpctf.server.state import ServerState

log = logging.getLogger("interpctf.server.league")


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


def plant_report(folder: Path) -> dict:
    """The plant check of every variant in a forge output folder: ``{"ok", "reason", "variants": [...]}``."""
    variants, reasons = [], []
    for vf in variant_folders(folder):
        report = verify(vf / "bundle", vf / "key.json")
        if not report.ok:
            reasons.append(f"{vf.name}: {report.problems[0]}")
            variants.append({"folder": vf.name, "commitment": report.commitment_expected, "reference": None,
                             "baselines": {}})
            continue
        result = check_plant(open_challenge(vf / "bundle", vf / "key.json"))
        ref = result["reference"]
        if not ref.solved:
            reasons.append(f"the key's own reference answer does not solve it (score {ref.score:.3f}); "
                           "the plant is not real")
        variants.append({"folder": vf.name, "commitment": report.commitment_expected,
                         "reference": {"score": ref.score, "solved": ref.solved},
                         "baselines": {name: {"score": g.public_score, "solved": g.public_solved}
                                       for name, g in result["baselines"].items()}})
    return {"ok": not reasons, "reason": "; ".join(reasons), "variants": variants}


def run_proposal(state: ServerState, proposal_id: int, source: str) -> None:
    """Forge (recipe proposals) and check; leaves the proposal ``ready``, ``refused`` or ``failed``."""
    with state.db.read() as s:
        row = s.get(LeagueProposal, proposal_id)
        folder = state.data_dir / row.folder
        number = s.get(LeagueRound, row.round_id).number
        team_id = row.team_id
    try:
        if source == "recipe":
            from interpctf.forge import forge
            from interpctf.recipe import load_recipe
            forge(load_recipe(folder / "recipe.yaml"), folder / FORGED_DIR, f"r{number}-t{team_id}",
                  _RowProgress(state, proposal_id), run_baselines=True)
            _set(state, proposal_id, status="checking", progress=stamped({"step": "checking the plant"}))
        target = folder / FORGED_DIR if source == "recipe" else folder
        report = plant_report(target)
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
            _set(state, pid, status="forging", progress=stamped({"step": "resumed after a restart"}))
        start(state, pid, source)
    if rows:
        log.info("resumed %d league proposal(s) cut off by a restart", len(rows))
    return [pid for pid, _, _ in rows]
