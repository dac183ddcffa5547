"""The jam JSON API (``/api/v1/jam``): projects and writeups, the judge's queue, reviews, results (JSON and CSV);
admin: criteria and settings, assignment."""

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from interpctf.server import jam
from interpctf.server.modes import JamConfig
from interpctf.server.routes.deps import (ADMIN, CsrfUser, CurrentUser, OptionalUser, ReadSession, RowId, State,
                                          WriteSession, only_in)

router = APIRouter(prefix="/api/v1/jam", tags=["jam"], dependencies=only_in("jam"))
admin_router = APIRouter(prefix="/api/v1/admin/jam", tags=["admin"], dependencies=only_in("jam") + ADMIN)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scores: dict[str, int]
    comment: str = Field(default="", max_length=5000)


@router.get("/projects")
def list_projects(_user: CurrentUser, s: ReadSession):
    return [jam.project_out(s, p) for p in jam.projects(s)]


@router.post("/projects", status_code=201)
def submit_project(user: CsrfUser, st: State, s: ReadSession, title: str = Form(""), abstract: str = Form(""),
                   links: str = Form(""), writeup: UploadFile | None = File(None)):
    """Create or update your team's project: title, abstract, links (one per line), a .md or .pdf writeup."""
    project = jam.submit_project(st, user, title, abstract, links, jam.read_upload(st, writeup))
    return jam.project_out(s, jam.get_project(s, project.id))


@router.get("/projects/{project_id}")
def project(project_id: RowId, _user: CurrentUser, s: ReadSession):
    return jam.project_out(s, jam.get_project(s, project_id))


@router.get("/projects/{project_id}/writeup", response_class=FileResponse)
def writeup(project_id: RowId, _user: CurrentUser, st: State, s: ReadSession):
    """The writeup as uploaded (a download; markdown is shown rendered on the project page)."""
    p, path = jam.writeup_file(st, s, project_id)
    media = "application/pdf" if p.writeup_type == "pdf" else "text/markdown; charset=utf-8"
    return FileResponse(path, media_type=media, filename=f"project-{p.id}.{p.writeup_type}",
                        content_disposition_type="attachment")


@router.get("/queue")
def queue(user: CurrentUser, st: State, s: ReadSession):
    """Your assigned projects; other projects appear once every assigned review is in."""
    return jam.queue(st, s, user)


@router.get("/criteria")
def criteria(st: State, s: ReadSession):
    config = jam.jam_config(st, s)
    return {"criteria": [c.model_dump() for c in config.criteria], "scale_min": config.scale_min,
            "scale_max": config.scale_max}


@router.post("/projects/{project_id}/reviews", status_code=201)
def review(project_id: RowId, body: ReviewIn, user: CsrfUser, st: State):
    """Rate a project on every criterion (the jam's scale). Unassigned projects only after your assigned ones."""
    row = jam.review(st, user, project_id, body.scores, body.comment)
    return {"id": row.id, "project_id": row.project_id, "scores": row.scores, "comment": row.comment}


@router.get("/results")
def results(user: OptionalUser, st: State, s: ReadSession):
    """Ranked projects: mean weighted score (z-normalized per judge if the jam says so), 90% bootstrap interval."""
    return jam.visible_results(st, s, user)[0]


@router.get("/results.csv", response_class=Response)
def results_csv(user: OptionalUser, st: State, s: ReadSession):
    rows, config = jam.visible_results(st, s, user)
    return Response(jam.results_csv(rows, config), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="jam-results.csv"'})


@admin_router.post("/assign")
def assign(st: State, s: WriteSession):
    """Assign projects to judges (deterministic by the jam's seed); refused once reviews have started."""
    return {str(k): v for k, v in jam.assign(st, s).items()}


@admin_router.get("/config", response_model=JamConfig)
def get_config(st: State, s: ReadSession):
    return jam.jam_config(st, s)


@admin_router.put("/config", response_model=JamConfig)
def put_config(body: JamConfig, st: State, s: WriteSession):
    """Replace the jam's criteria, weights, scale and assignment settings."""
    return jam.update_config(st, s, body)
