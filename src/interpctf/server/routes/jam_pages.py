"""Jam pages: projects (submit, view with the rendered writeup), the judge's queue and review form, results;
admin: criteria editor and assignment."""

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy import func, select

from interpctf.rules.jam import Criterion
from interpctf.server import jam
from interpctf.server.auth import check_csrf, require_role, resolve
from interpctf.server.errors import bad_request, forbidden
from interpctf.server.markdown import render_markdown
from interpctf.server.models import JamAssignment, JamReview
from interpctf.server.modes import JamConfig
from interpctf.server.pages_common import render
from interpctf.server.routes.deps import get_state, see_other
from interpctf.server.routes.jam_api import read_writeup, writeup_file
from interpctf.server.routes.pages import _login_required
from interpctf.server.state import phase

router = APIRouter(include_in_schema=False)


@router.get("/jam")
def jam_home(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        event = jam.jam_event(st, s)
        auth = resolve(request, s)
        mine = None
        if auth.user and auth.user.team_id:
            mine = next((p for p in jam.projects(s) if p.team_id == auth.user.team_id), None)
        return render(request, "jam/home.html", {
            "projects": [jam.project_out(s, p) for p in jam.projects(s)], "mine": mine,
            "config": jam.jam_config(st, s), "results_open": jam.can_see_results(event, auth.user),
            "phase": phase(event)}, auth=auth)


@router.post("/jam/projects")
def submit_form(request: Request, title: str = Form(""), abstract: str = Form(""), links: str = Form(""),
                writeup: UploadFile | None = File(None), csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.read() as s:
        auth = _login_required(request, s)
    check_csrf(request, auth, csrf_token)
    project = jam.submit_project(st, auth.user, title, abstract, links, read_writeup(st, writeup))
    return see_other(f"/jam/projects/{project.id}")


@router.get("/jam/projects/{project_id}")
def project_page(project_id: int, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        jam.jam_event(st, s)
        auth = _login_required(request, s)
        p = jam.get_project(s, project_id)
        html = None
        if p.writeup_type == "md":
            html = render_markdown(writeup_file(st, s, project_id)[1].read_text("utf-8"))
        return render(request, "jam/project.html", {"p": jam.project_out(s, p), "writeup_html": html}, auth=auth)


@router.get("/jam/judge")
def judge_queue(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        jam.jam_event(st, s)
        auth = _login_required(request, s)
        return render(request, "jam/judge.html", {"q": jam.queue(s, auth.user)}, auth=auth)


@router.get("/jam/projects/{project_id}/review")
def review_form(project_id: int, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        jam.jam_event(st, s)
        auth = _login_required(request, s)
        q = jam.queue(s, auth.user)
        allowed = {p["id"] for p in q["assigned"] + q["free"]}
        if project_id not in allowed:
            jam.get_project(s, project_id)
            raise forbidden(f"finish your assigned reviews first ({q['left']} left); then you may judge any project"
                            if q["left"] else "you cannot review this project")
        existing = s.scalar(select(JamReview).where(JamReview.project_id == project_id,
                                                    JamReview.judge_id == auth.user.id))
        return render(request, "jam/review.html", {
            "p": jam.project_out(s, jam.get_project(s, project_id)), "config": jam.jam_config(st, s),
            "existing": existing}, auth=auth)


@router.post("/jam/projects/{project_id}/review")
async def review_submit(project_id: int, request: Request):
    form = await request.form()
    st = get_state(request)
    with st.db.read() as s:
        jam.jam_event(st, s)
        auth = _login_required(request, s)
        config = jam.jam_config(st, s)
    check_csrf(request, auth, str(form.get("csrf_token", "")))
    scores = {c.name: form.get(f"score:{c.name}", "") for c in config.criteria}
    jam.review(st, auth.user, project_id, scores, str(form.get("comment", ""))[:5000])
    return see_other("/jam/judge")


@router.get("/jam/results")
def results_page(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        event = jam.jam_event(st, s)
        auth = resolve(request, s)
        if not jam.can_see_results(event, auth.user):
            raise forbidden("the results are published when the jam ends")
        config = jam.jam_config(st, s)
        return render(request, "jam/results.html", {"rows": jam.results(s, config), "config": config}, auth=auth)


@router.get("/admin/jam")
def admin_jam(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        auth = resolve(request, s)
        require_role(auth, "admin")
        config = jam.jam_config(st, s)
        counts = dict(s.execute(select(JamAssignment.judge_id, func.count()).group_by(JamAssignment.judge_id)).all())
        done = dict(s.execute(select(JamReview.judge_id, func.count()).group_by(JamReview.judge_id)).all())
        judges = [{"name": u.name, "assigned": counts.get(u.id, 0), "reviews": done.get(u.id, 0)}
                  for u in jam.judges(s)]
        criteria_text = "\n".join(f"{c.name} | {c.weight:g} | {c.description}" for c in config.criteria)
        return render(request, "admin/jam.html", {"config": config, "criteria_text": criteria_text,
                                                  "judges": judges, "n_projects": len(jam.projects(s))}, auth=auth)


@router.post("/admin/jam/config")
def admin_config(request: Request, criteria: str = Form(""), reviews_per_judge: int = Form(5), seed: int = Form(0),
                 normalize: str = Form(""), csrf_token: str = Form("")):
    st = get_state(request)
    items = []
    for line in criteria.splitlines():
        if not line.strip():
            continue
        parts = [x.strip() for x in line.split("|")]
        try:
            items.append(Criterion(name=parts[0], weight=float(parts[1]) if len(parts) > 1 and parts[1] else 1.0,
                                   description=parts[2] if len(parts) > 2 else ""))
        except (ValueError, ValidationError):
            raise bad_request(f"cannot read the criterion line {line.strip()[:60]!r}; write 'name | weight | "
                              f"description'") from None
    with st.db.write() as s:
        auth = resolve(request, s)
        require_role(auth, "admin")
        check_csrf(request, auth, csrf_token)
        current = jam.jam_config(st, s)
        try:
            config = JamConfig.model_validate({**current.model_dump(), "criteria": [c.model_dump() for c in items],
                                               "reviews_per_judge": reviews_per_judge, "seed": seed,
                                               "normalize": bool(normalize)})
        except ValidationError as exc:
            raise bad_request(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
        jam.update_config(st, s, config)
    return see_other("/admin/jam")


@router.post("/admin/jam/assign")
def admin_assign(request: Request, csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.write() as s:
        auth = resolve(request, s)
        require_role(auth, "admin")
        check_csrf(request, auth, csrf_token)
        jam.assign(st, s)
    return see_other("/admin/jam")

