"""Jam pages: projects (submit, view with the rendered writeup), the judge's queue and review form, results;
admin: criteria editor and assignment."""

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from interpctf.rules.jam import Criterion
from interpctf.server import jam, jam_logistics
from interpctf.server.errors import bad_request, forbidden
from interpctf.server.markdown import render_markdown
from interpctf.server.models import JamAssignment, JamReview
from interpctf.server.modes import JamConfig
from interpctf.server.pages_common import render
from interpctf.server.routes.deps import (ADMIN, CsrfUser, CurrentUser, OptionalUser, ReadSession, RowId, State,
                                          WriteSession, only_in, see_other)
from interpctf.server.state import phase

router = APIRouter(include_in_schema=False, dependencies=only_in("jam"))
admin_router = APIRouter(prefix="/admin/jam", include_in_schema=False, dependencies=only_in("jam") + ADMIN)


@router.get("/jam")
def jam_home(request: Request, user: OptionalUser, st: State, s: ReadSession):
    event = jam.jam_event(st, s)
    mine = None
    if user and user.team_id:
        mine = next((p for p in jam.projects(s) if p.team_id == user.team_id), None)
    return render(request, "jam/home.html", {
        "projects": [jam.project_out(s, p) for p in jam.projects(s)], "mine": mine,
        "config": jam.jam_config(st, s), "results_open": jam.can_see_results(event, user),
        "phase": phase(event), "logistics": jam_logistics.overview(s, jam.jam_config(st, s), user)})


@router.post("/jam/projects")
def submit_form(user: CsrfUser, st: State, title: str = Form(""), abstract: str = Form(""), links: str = Form(""),
                writeup: UploadFile | None = File(None)):
    project = jam.submit_project(st, user, title, abstract, links, jam.read_upload(st, writeup))
    return see_other(f"/jam/projects/{project.id}")


@router.get("/jam/projects/{project_id}")
def project_page(project_id: RowId, request: Request, _user: CurrentUser, st: State, s: ReadSession):
    p = jam.get_project(s, project_id)
    html = None
    if p.writeup_type == "md":
        html = render_markdown(jam.writeup_file(st, s, project_id)[1].read_text("utf-8"))
    return render(request, "jam/project.html", {"p": jam.project_out(s, p), "writeup_html": html})


@router.get("/jam/judge")
def judge_queue(request: Request, user: CurrentUser, st: State, s: ReadSession):
    return render(request, "jam/judge.html", {"q": jam.queue(st, s, user)})


@router.get("/jam/projects/{project_id}/review")
def review_form(project_id: RowId, request: Request, user: CurrentUser, st: State, s: ReadSession):
    q = jam.queue(st, s, user)
    allowed = {p["id"] for p in q["assigned"] + q["free"]}
    if project_id not in allowed:
        jam.get_project(s, project_id)
        raise forbidden(f"finish your assigned reviews first ({q['left']} left); then you may judge any project"
                        if q["left"] else "you cannot review this project")
    existing = s.scalar(select(JamReview).where(JamReview.project_id == project_id, JamReview.judge_id == user.id))
    return render(request, "jam/review.html", {
        "p": jam.project_out(s, jam.get_project(s, project_id)), "config": jam.jam_config(st, s),
        "existing": existing})


@router.post("/jam/projects/{project_id}/review")
async def review_submit(project_id: RowId, request: Request, user: CsrfUser, st: State):
    form = await request.form()  # one field per criterion, named score:<criterion>
    config = await _jam_config(st)
    scores = {c.name: form.get(f"score:{c.name}", "") for c in config.criteria}
    await run_in_threadpool(jam.review, st, user, project_id, scores, str(form.get("comment", ""))[:5000])
    return see_other("/jam/judge")


async def _jam_config(st) -> JamConfig:
    def load():
        with st.db.read() as s:
            return jam.jam_config(st, s)
    return await run_in_threadpool(load)


@router.get("/jam/results")
def results_page(request: Request, user: OptionalUser, st: State, s: ReadSession):
    rows, config = jam.visible_results(st, s, user)
    return render(request, "jam/results.html", {"rows": rows, "config": config})


@admin_router.get("")
def admin_jam(request: Request, st: State, s: ReadSession):
    config = jam.jam_config(st, s)
    counts = dict(s.execute(select(JamAssignment.judge_id, func.count()).group_by(JamAssignment.judge_id)).all())
    done = dict(s.execute(select(JamReview.judge_id, func.count()).group_by(JamReview.judge_id)).all())
    judges = [{"name": u.name, "assigned": counts.get(u.id, 0), "reviews": done.get(u.id, 0)}
              for u in jam.judges(s, config)]
    criteria_text = "\n".join(f"{c.name} | {c.weight:g} | {c.description}" for c in config.criteria)
    return render(request, "admin/jam.html", {"config": config, "criteria_text": criteria_text,
                                              "judges": judges, "n_projects": len(jam.projects(s))})


def _criteria(text: str) -> list[Criterion]:
    """The criteria editor's lines: ``name | weight | description``."""
    items = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [x.strip() for x in line.split("|")]
        try:
            items.append(Criterion(name=parts[0], weight=float(parts[1]) if len(parts) > 1 and parts[1] else 1.0,
                                   description=parts[2] if len(parts) > 2 else ""))
        except (ValueError, ValidationError):
            raise bad_request(f"cannot read the criterion line {line.strip()[:60]!r}; write 'name | weight | "
                              f"description'") from None
    return items


@admin_router.post("/config")
def admin_config(st: State, s: WriteSession, criteria: str = Form(""), reviews_per_judge: int = Form(5),
                 seed: int = Form(0), normalize: str = Form("")):
    items = _criteria(criteria)
    current = jam.jam_config(st, s)
    try:
        config = JamConfig.model_validate({**current.model_dump(), "criteria": [c.model_dump() for c in items],
                                           "reviews_per_judge": reviews_per_judge, "seed": seed,
                                           "normalize": bool(normalize)})
    except ValidationError as exc:
        raise bad_request(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    jam.update_config(st, s, config)
    return see_other("/admin/jam")


@admin_router.post("/assign")
def admin_assign(st: State, s: WriteSession):
    jam.assign(st, s)
    return see_other("/admin/jam")
