"""The admin JSON API: submissions (with re-grade), users, awards, reveal, export. Every route needs the admin
role (a router dependency), and state-changing ones the CSRF token of a cookie session."""

from fastapi import APIRouter, Query
from sqlalchemy import select

from interpctf.server import admin as admin_ops
from interpctf.server.challenges import reveal
from interpctf.server.models import User
from interpctf.server.routes.deps import ADMIN, Admin, ReadSession, RowId, State, WriteSession, user_out
from interpctf.server.schemas import AwardIn, RoleIn

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=ADMIN)


@router.get("/submissions")
def submissions(s: ReadSession, status: str | None = Query(default=None, max_length=10),
                limit: int = Query(default=200, ge=1, le=5000)):
    return admin_ops.submission_rows(s, status, limit)


@router.post("/submissions/{sub_id}/regrade", status_code=202)
def regrade(sub_id: RowId, st: State, s: WriteSession):
    """Queue a graded submission again (e.g. after fixing a grader); its new grade replaces the old."""
    admin_ops.regrade_submission(s, sub_id)
    s.commit()  # before the worker wakes, so it finds the queued submission
    st.invalidate_board()
    st.wake_worker()
    return {"id": sub_id, "status": "queued"}


@router.post("/reveal")
def reveal_keys(st: State, s: WriteSession):
    """After the end: check each key against its commitment, publish those that match."""
    return reveal(st, s)


@router.post("/awards", status_code=201)
def award(body: AwardIn, admin: Admin, st: State, s: WriteSession):
    admin_ops.add_award(s, admin, body.team_id, body.value, body.reason)
    s.commit()
    st.invalidate_board()
    return {"team_id": body.team_id, "value": body.value}


@router.get("/users")
def users(s: ReadSession):
    return [user_out(u) for u in s.scalars(select(User).order_by(User.id))]


@router.post("/users/{user_id}/role")
def set_role(user_id: RowId, body: RoleIn, s: WriteSession):
    return user_out(admin_ops.set_role(s, user_id, body.role))


@router.get("/export")
def export(s: ReadSession):
    """The whole event as JSON (the bundle files stay on disk; 'interpctf event export' copies them too)."""
    from interpctf.server.transfer import export_rows
    return export_rows(s)
