"""Admin pages: the event, challenges, users, submissions (with re-grade), reveal. Every page needs the admin role
(a router dependency); forms post with the CSRF token."""

from fastapi import APIRouter, Request
from sqlalchemy import select

from interpctf.server import admin as admin_ops
from interpctf.server.challenges import reveal
from interpctf.server.models import Team, User
from interpctf.server.pages_common import render
from interpctf.server.routes.deps import ADMIN, ReadSession, RowId, State, WriteSession, see_other
from interpctf.server.state import phase

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=ADMIN)


@router.get("")
def admin_home(request: Request, st: State, s: ReadSession):
    event = st.event(s)
    return render(request, "admin/home.html", {"event": event, "phase": phase(event),
                                               "stats": admin_ops.event_stats(s)})


@router.get("/challenges")
def admin_challenges(request: Request, s: ReadSession):
    return render(request, "admin/challenges.html", {"rows": admin_ops.challenge_rows(s)})


@router.get("/users")
def admin_users(request: Request, s: ReadSession):
    teams = {t.id: t.name for t in s.scalars(select(Team))}
    users = s.scalars(select(User).order_by(User.id)).all()
    return render(request, "admin/users.html", {"users": users, "teams": teams})


@router.get("/submissions")
def admin_submissions(request: Request, s: ReadSession):
    return render(request, "admin/submissions.html", {"rows": admin_ops.submission_rows(s, None, 300)})


@router.post("/submissions/{sub_id}/regrade")
def admin_regrade(sub_id: RowId, st: State, s: WriteSession):
    admin_ops.regrade_submission(s, sub_id)
    s.commit()  # before the worker wakes, so it finds the queued submission
    st.invalidate_board()
    st.wake_worker()
    return see_other("/admin/submissions")


@router.post("/reveal")
def admin_reveal(request: Request, st: State, s: WriteSession):
    result = reveal(st, s)
    s.commit()
    return render(request, "admin/reveal.html", {"result": result})
