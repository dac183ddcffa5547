"""The server's view of the open-problems catalogue: each entry with the reference challenges and lab tasks
linked to it, this event's challenges that instantiate it (from their manifests), its live status (``live``:
solved in this event, or open; ``status`` stays the entry's own notes), and each linked lab task's best score in
the lab's run store, when there is one."""

from sqlalchemy import select

from interpctf.bundle import read_manifest
from interpctf.catalogue import default_catalogue
from interpctf.catalogue_links import listing
from interpctf.server.challenges import visible_challenges
from interpctf.server.models import Submission
from interpctf.server.state import ServerState, phase, variants_of


def _event_links(state: ServerState, session, admin: bool) -> dict[str, list[dict]]:
    """Entry id -> this event's challenges naming it, each with whether anyone solved it."""
    # as on the scoreboard: the public split while the event runs, the private one once it has ended
    column = Submission.solved if phase(state.event(session)) == "ended" else Submission.public_solved
    solved = set(session.scalars(select(Submission.challenge_id).where(column.is_(True)).distinct()))
    out: dict[str, list[dict]] = {}
    for chal in visible_challenges(session, admin):
        variants = variants_of(session, chal.id)
        if not variants:
            continue
        for entry_id in read_manifest(state.data_dir / variants[0].bundle_path).problems:
            out.setdefault(entry_id, []).append({"slug": chal.slug, "title": chal.title,
                                                 "solved": chal.id in solved})
    return out


def best_lab_scores() -> dict[str, float]:
    """Task -> best validation score in the lab run store ($INTERPCTF_LAB_DIR or ./.interpctf/lab), if it exists."""
    from interpctf.lab.store import RunStore, runs_dir
    if not (runs_dir() / "runs.sqlite").is_file():
        return {}
    best: dict[str, float] = {}
    for run in RunStore().list():
        if run.score is not None and run.score > best.get(run.task, float("-inf")):
            best[run.task] = run.score
    return best


def problems_view(state: ServerState, session, category: str | None, admin: bool) -> dict:
    rows = listing(category)
    event_links = _event_links(state, session, admin)
    scores = best_lab_scores()
    for row in rows:
        row["event_challenges"] = event_links.get(row["id"], [])
        row["live"] = "solved in this event" if any(c["solved"] for c in row["event_challenges"]) else "open"
        row["lab"] = [{"task": t, "best_score": scores.get(t)} for t in row["links"]["lab_tasks"]]
    return {"categories": [c.model_dump() for c in default_catalogue().categories], "category": category,
            "entries": rows}
