"""The jam JSON API (``/api/v1/jam``): projects and writeups, the judge's queue, reviews, results (JSON and CSV);
admin: criteria and settings, assignment."""

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from interpctf.server import jam
from interpctf.server.auth import check_csrf, require_role, resolve
from interpctf.server.errors import forbidden, not_found
from interpctf.server.modes import JamConfig
from interpctf.server.routes.deps import api_user, get_state

router = APIRouter(prefix="/api/v1/jam", tags=["jam"])
admin_router = APIRouter(prefix="/api/v1/admin/jam", tags=["admin"])


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scores: dict[str, int]
    comment: str = Field(default="", max_length=5000)


def read_writeup(st, upload: UploadFile | None) -> tuple[str, bytes] | None:
    if upload is None or not upload.filename:
        return None
    return upload.filename, upload.file.read(st.settings.max_upload_bytes + 1)


@router.get("/projects")
def list_projects(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        jam.jam_event(st, s)
        api_user(request, s)
        return [jam.project_out(s, p) for p in jam.projects(s)]


@router.post("/projects", status_code=201)
def submit_project(request: Request, title: str = Form(""), abstract: str = Form(""), links: str = Form(""),
                   writeup: UploadFile | None = File(None)):
    """Create or update your team's project: title, abstract, links (one per line), a .md or .pdf writeup."""
    st = get_state(request)
    with st.db.read() as s:
        user = api_user(request, s, write=True)
    project = jam.submit_project(st, user, title, abstract, links, read_writeup(st, writeup))
    with st.db.read() as s:
        return jam.project_out(s, jam.get_project(s, project.id))


@router.get("/projects/{project_id}")
def project(project_id: int, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        jam.jam_event(st, s)
        api_user(request, s)
        return jam.project_out(s, jam.get_project(s, project_id))


def writeup_file(st, s, project_id: int):
    p = jam.get_project(s, project_id)
    if not p.writeup_path:
        raise not_found(f"project {project_id} has no writeup")
    return p, st.data_dir / p.writeup_path


@router.get("/projects/{project_id}/writeup", response_class=FileResponse)
def writeup(project_id: int, request: Request):
    """The writeup as uploaded (a download; markdown is shown rendered on the project page)."""
    st = get_state(request)
    with st.db.read() as s:
        jam.jam_event(st, s)
        api_user(request, s)
        p, path = writeup_file(st, s, project_id)
    media = "application/pdf" if p.writeup_type == "pdf" else "text/markdown; charset=utf-8"
    return FileResponse(path, media_type=media, filename=f"project-{p.id}.{p.writeup_type}",
                        content_disposition_type="attachment")


@router.get("/queue")
def queue(request: Request):
    """Your assigned projects; other projects appear once every assigned review is in."""
    st = get_state(request)
    with st.db.read() as s:
        jam.jam_event(st, s)
        return jam.queue(s, api_user(request, s))


@router.get("/criteria")
def criteria(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        config = jam.jam_config(st, s)
    return {"criteria": [c.model_dump() for c in config.criteria], "scale_min": config.scale_min,
            "scale_max": config.scale_max}


@router.post("/projects/{project_id}/reviews", status_code=201)
def review(project_id: int, body: ReviewIn, request: Request):
    """Rate a project on every criterion (the jam's scale). Unassigned projects only after your assigned ones."""
    st = get_state(request)
    with st.db.read() as s:
        jam.jam_event(st, s)
        user = api_user(request, s, write=True)
    row = jam.review(st, user, project_id, body.scores, body.comment)
    return {"id": row.id, "project_id": row.project_id, "scores": row.scores, "comment": row.comment}


def _results(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        event = jam.jam_event(st, s)
        user = resolve(request, s).user
        if not jam.can_see_results(event, user):
            raise forbidden("the results are published when the jam ends")
        config = jam.jam_config(st, s)
        return jam.results(s, config), config


@router.get("/results")
def results(request: Request):
    """Ranked projects: mean weighted score (z-normalized per judge if the jam says so), 90% bootstrap interval."""
    return _results(request)[0]


@router.get("/results.csv", response_class=Response)
def results_csv(request: Request):
    rows, config = _results(request)
    return Response(jam.results_csv(rows, config), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="jam-results.csv"'})


@admin_router.post("/assign")
def assign(request: Request):
    """Assign projects to judges (deterministic by the jam's seed); refused once reviews have started."""
    st = get_state(request)
    with st.db.write() as s:
        auth = resolve(request, s)
        require_role(auth, "admin")
        check_csrf(request, auth, None)
        return {str(k): v for k, v in jam.assign(st, s).items()}


@admin_router.get("/config", response_model=JamConfig)
def get_config(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        require_role(resolve(request, s), "admin")
        return jam.jam_config(st, s)


@admin_router.put("/config", response_model=JamConfig)
def put_config(body: JamConfig, request: Request):
    """Replace the jam's criteria, weights, scale and assignment settings."""
    st = get_state(request)
    with st.db.write() as s:
        auth = resolve(request, s)
        require_role(auth, "admin")
        check_csrf(request, auth, None)
        return jam.update_config(st, s, body)
