"""Humans vs agents on the lab's tasks: ``/lab/compare`` (a section per task) and ``/api/v1/lab/compare`` (JSON),
public like the scoreboard. The table is ``interpctf report compare``'s, read from the lab's run store
($INTERPCTF_LAB_DIR or ./.interpctf/lab) when there is one."""

from fastapi import APIRouter, Request

from interpctf.server.pages_common import render

router = APIRouter()


def lab_compare_view() -> dict:
    from interpctf.lab.compare import COLUMNS, standings, table_row
    from interpctf.lab.store import RunStore, runs_dir
    from interpctf.lab.tasks import task_names

    store = RunStore() if (runs_dir() / "runs.sqlite").is_file() else None
    sections = [{"task": t, "rows": [table_row(s) for s in standings(store.participant_runs(t))] if store else []}
                for t in task_names()]
    return {"columns": list(COLUMNS), "tasks": sections}


@router.get("/api/v1/lab/compare", tags=["lab"])
def lab_compare_api():
    """Per lab task: each session's best normalized score (0 = baseline config, 1 = reference), experiments used
    and wall time, humans and agents side by side."""
    return lab_compare_view()


@router.get("/lab/compare", include_in_schema=False)
def lab_compare_page(request: Request):
    return render(request, "lab_compare.html", {"v": lab_compare_view()})
