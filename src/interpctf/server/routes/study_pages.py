"""Study pages: a team's upload form, the rater's page (one question at a time, keys 1-8, "k of n"), the results page (rates, Wilson
intervals, "beats the target"), and the admin's view of a submission's code."""

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from interpctf.server import study, study_admin, study_agents, study_pictures, study_rerun
from interpctf.server.errors import ApiError
from interpctf.server.models import Team
from interpctf.server.pages_common import render
from interpctf.server.routes.deps import ADMIN, CsrfUser, CurrentUser, ReadSession, RowId, State, see_other
from interpctf.server.routes.study_api import MAX_FILES, _results_visible, read_images, require_rater

router = APIRouter(include_in_schema=False)
admin_router = APIRouter(prefix="/admin/study", include_in_schema=False, dependencies=ADMIN)


@router.get("/study")
def submit_page(request: Request, user: CurrentUser, st: State):
    return render(request, "study/submit.html", {"state": study.load(st), "sent": request.query_params.get("sent")})


@router.post("/study/visualizations")
async def submit_form(request: Request, user: CsrfUser, st: State, s: ReadSession):
    """The page's form: one multi-file field ``images_<trojan>`` per trojan and the ``code``."""
    form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
    images, trojans = [], []
    for key, value in form.multi_items():
        if key.startswith("images_") and not isinstance(value, str) and value.filename:
            images.append(value)
            trojans.append(key.removeprefix("images_"))
    code = form.get("code")
    files = await read_images(images, trojans)
    sid = await run_in_threadpool(study.submit, st, s, user, files, code if isinstance(code, str) else "")
    return see_other(f"/study?sent={sid}")


@router.get("/study/rate")
def rate_page(request: Request, user: CurrentUser, st: State, s: ReadSession):
    progress = study_pictures.with_pictures(st, study.progress(st, s, require_rater(user)))
    return render(request, "study/rate.html", {"p": progress, "error": None})


@router.post("/study/rate")
def rate_form(request: Request, user: CsrfUser, st: State, s: ReadSession, question: str = Form(..., max_length=120),
              choice: int = Form(...)):
    try:
        study.answer(st, require_rater(user), question, choice)
    except ApiError as exc:  # shown above the next question rather than as a bare error page
        return render(request, "study/rate.html", {"p": study_pictures.with_pictures(st, study.progress(st, s, user)),
                                                   "error": exc.message}, status=exc.status)
    return see_other("/study/rate")


@router.get("/study/results")
def results_page(request: Request, user: CurrentUser, st: State, s: ReadSession):
    _results_visible(st, user)
    out = study.results_out(st, s)
    names = dict(s.execute(select(Team.id, Team.name)).all())
    for row in out["submissions"]:
        row["team"] = names.get(row["team_id"], "?")
    reveal = study_pictures.reveal_with_pictures(st, study.reveal(st)) if out["status"] == "closed" else []
    return render(request, "study/results.html", {"r": out, "reveal": reveal, "agents": study_agents.results(st)})


@admin_router.get("/submissions/{submission_id}")
def code_page(submission_id: RowId, request: Request, st: State, s: ReadSession):
    row = study.submission_code(s, submission_id)
    return render(request, "study/code.html", {"sub": row, "team": s.get(Team, row.team_id),
                                               "rerun": study_rerun.result(st, submission_id)})


@admin_router.post("/submissions/{submission_id}/rerun")
def rerun_form(submission_id: RowId, st: State, s: ReadSession):
    study.submission_code(s, submission_id)  # 404 for an unknown submission, before anything starts
    study_rerun.start(st, submission_id)
    return see_other(f"/admin/study/submissions/{submission_id}")


@admin_router.get("")
def admin_page(request: Request, st: State, s: ReadSession):
    return render(request, "study/admin.html", {"o": study_admin.overview(st, s), "error": None})


def _admin_action(request: Request, st, s, action):
    try:
        action()
    except ApiError as exc:  # shown on the page, beside the button that failed
        return render(request, "study/admin.html", {"o": study_admin.overview(st, s), "error": exc.message},
                      status=exc.status)
    return see_other("/admin/study")


@admin_router.post("/open")
def open_form(request: Request, st: State, s: ReadSession):
    return _admin_action(request, st, s, lambda: study_pictures.open_with_pictures(st, s))


@admin_router.post("/close")
def close_form(request: Request, st: State, s: ReadSession):
    return _admin_action(request, st, s, lambda: study.close_study(st))
