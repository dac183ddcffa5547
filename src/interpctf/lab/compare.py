"""Humans and agents on one lab task: best normalized score so far against wall time and against experiments used.

The score is the task's own normalized score (0 at its baseline config, 1 at its reference config: RE-Bench's
normalization, Wijk et al. 2024), already stored with every run, so a participant's curve is the running maximum of
their runs' scores in the order their results came in. A failed run counts as an experiment (it used budget) and
scores nothing. One line per session: a participant with two sessions has two lines, each on its own budget.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from interpctf.lab.store import RunRecord, RunStore


@dataclass(frozen=True)
class CurvePoint:
    elapsed_s: float
    experiment: int
    best_score: float | None  # None until a run has succeeded


@dataclass
class Standing:
    participant: str
    kind: str
    session_id: str
    experiments: int
    failed: int
    wall_s: float
    best_score: float | None
    best_run: int | None
    best_at_s: float | None  # wall time at which the best score came in
    test_score: float | None  # the best test score among the session's submitted runs
    curve: list[CurvePoint] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.participant} ({self.kind}, {self.session_id})"


def standings(runs: list[RunRecord]) -> list[Standing]:
    """One :class:`Standing` per session in ``runs`` (all of one task), best score first (no score last)."""
    by_session: dict[str, list[RunRecord]] = {}
    for r in runs:
        if r.session_id is not None:
            by_session.setdefault(r.session_id, []).append(r)
    out = []
    for sid, rs in by_session.items():
        rs = sorted(rs, key=lambda r: (r.session_experiment or 0, r.id))
        best: float | None = None
        best_run = best_at = None
        curve = []
        for r in rs:
            elapsed = r.session_elapsed_s or 0.0
            if r.failure is None and r.score is not None and (best is None or r.score > best):
                best, best_run, best_at = r.score, r.id, elapsed
            curve.append(CurvePoint(elapsed, r.session_experiment or len(curve) + 1, best))
        tests = [r.test_score for r in rs if r.test_score is not None]
        out.append(Standing(participant=rs[0].participant or "?", kind=rs[0].participant_kind, session_id=sid,
                            experiments=len(rs), failed=sum(r.failure is not None for r in rs),
                            wall_s=max(p.elapsed_s for p in curve), best_score=best, best_run=best_run,
                            best_at_s=best_at, test_score=max(tests) if tests else None, curve=curve))
    return sorted(out, key=lambda s: (s.best_score is None, -(s.best_score or 0.0), s.label))


COLUMNS = ("participant", "kind", "session", "experiments", "failed", "wall_min", "best_score", "best_run",
           "best_at_min", "test_score")


def table_row(s: Standing) -> dict[str, str]:
    def num(v: float | None, digits: int) -> str:
        return "" if v is None else f"{v:.{digits}f}"

    return {"participant": s.participant, "kind": s.kind, "session": s.session_id, "experiments": str(s.experiments),
            "failed": str(s.failed), "wall_min": num(s.wall_s / 60, 2), "best_score": num(s.best_score, 4),
            "best_run": "" if s.best_run is None else str(s.best_run),
            "best_at_min": num(None if s.best_at_s is None else s.best_at_s / 60, 2),
            "test_score": num(s.test_score, 4)}


def table_csv(rows: list[Standing]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table_row(s) for s in rows)
    return buf.getvalue()


def table_markdown(task: str, rows: list[Standing]) -> str:
    lines = [f"# {task}: humans and agents", "",
             "Best normalized score (0 = the task's baseline config, 1 = its reference config, on validation data); "
             "wall time from each session's start; test score of the best submitted run.", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for s in rows:
        lines.append("| " + " | ".join(table_row(s)[c] or "-" for c in COLUMNS) + " |")
    if not rows:
        lines.append("\n(no session runs on this task yet)")
    return "\n".join(lines) + "\n"


def plot(task: str, rows: list[Standing], path: Path) -> Path:
    from interpctf.lab.plots import _plt

    plt = _plt()
    fig, (ax_t, ax_n) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    for i, s in enumerate(rows):
        pts = [p for p in s.curve if p.best_score is not None]
        if not pts:
            continue
        style = {"color": f"C{i}", "label": s.label, "marker": "o", "where": "post",
                 "linestyle": "-" if s.kind == "human" else "--"}
        ax_t.step([p.elapsed_s / 60 for p in pts], [p.best_score for p in pts], **style)
        ax_n.step([p.experiment for p in pts], [p.best_score for p in pts], **style)
    for ax, xlabel in ((ax_t, "wall time (min)"), (ax_n, "experiments used")):
        ax.axhline(0, color="0.6", lw=0.8, ls=":")
        ax.axhline(1, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("best normalized score so far")
        ax.grid(alpha=0.3)
    ax_n.xaxis.get_major_locator().set_params(integer=True)
    if any(p.best_score is not None for s in rows for p in s.curve):
        ax_n.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"{task}: humans (solid) and agents (dashed); 0 = baseline, 1 = reference")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_compare(task: str, out_dir: str | Path, runs_dir: str | Path | None = None) -> dict[str, Path]:
    """Write ``compare-TASK.md``, ``.csv`` and ``.png`` under ``out_dir``; returns their paths."""
    from interpctf.lab.tasks import task_class

    task_class(task)  # an unknown task fails here, naming the known ones
    rows = standings(RunStore(runs_dir).participant_runs(task))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out / f"compare-{task}.md", "csv": out / f"compare-{task}.csv",
             "png": out / f"compare-{task}.png"}
    paths["markdown"].write_text(table_markdown(task, rows))
    paths["csv"].write_text(table_csv(rows))
    plot(task, rows, paths["png"])
    return paths
