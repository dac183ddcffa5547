"""The admin JSON API: submissions (with re-grade), users, awards, reveal, export."""

from fastapi import APIRouter, Query, Request
from sqlalchemy import select, update

from interpctf.server.auth import check_csrf, require_role, resolve
from interpctf.server.challenges import reveal
from interpctf.server.errors import not_found
from interpctf.server.grading_queue import bump_board
from interpctf.server.models import Award, Challenge, Submission, Team, User
from interpctf.server.routes.deps import get_state, user_out
from interpctf.server.schemas import AwardIn, RoleIn

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


def _admin_write(request: Request, s):
    auth = resolve(request, s)
    user = require_role(auth, "admin")
    check_csrf(request, auth, None)
    return user


def submission_rows(s, status: str | None = None, limit: int = 200) -> list[dict]:
    q = (select(Submission.id, Challenge.slug, Team.name, User.name, Submission.status, Submission.created_at,
                Submission.score, Submission.solved, Submission.public_score, Submission.public_solved,
                Submission.grade_count, Submission.details, User.account_type)
         .join(Challenge, Challenge.id == Submission.challenge_id).join(Team, Team.id == Submission.team_id)
         .join(User, User.id == Submission.user_id).order_by(Submission.id.desc()).limit(limit))
    if status:
        q = q.where(Submission.status == status)
    return [{"id": r[0], "challenge": r[1], "team": r[2], "user": r[3], "status": r[4],
             "created_at": r[5].isoformat() + "Z", "score": r[6], "solved": r[7], "public_score": r[8],
             "public_solved": r[9], "grade_count": r[10], "details": r[11], "account_type": r[12]}
            for r in s.execute(q)]


@router.get("/submissions")
def submissions(request: Request, status: str | None = Query(default=None, max_length=10),
                limit: int = Query(default=200, ge=1, le=5000)):
    st = get_state(request)
    with st.db.read() as s:
        require_role(resolve(request, s), "admin")
        return submission_rows(s, status, limit)


def regrade_submission(st, s, sub_id: int) -> None:
    sub = s.get(Submission, sub_id)
    if sub is None:
        raise not_found(f"no submission {sub_id}")
    s.execute(update(Submission).where(Submission.id == sub_id, Submission.status.in_(("graded", "failed")))
              .values(status="queued", claimed_by=None))
    bump_board(s)


@router.post("/submissions/{sub_id}/regrade", status_code=202)
def regrade(sub_id: int, request: Request):
    """Queue a graded submission again (e.g. after fixing a grader); its new grade replaces the old."""
    st = get_state(request)
    with st.db.write() as s:
        _admin_write(request, s)
        regrade_submission(st, s, sub_id)
    st.invalidate_board()
    st.wake_worker()
    return {"id": sub_id, "status": "queued"}


@router.post("/reveal")
def reveal_keys(request: Request):
    """After the end: check each key against its commitment, publish those that match."""
    st = get_state(request)
    with st.db.write() as s:
        _admin_write(request, s)
        return reveal(st, s)


@router.post("/awards", status_code=201)
def award(body: AwardIn, request: Request):
    st = get_state(request)
    with st.db.write() as s:
        admin = _admin_write(request, s)
        if s.get(Team, body.team_id) is None:
            raise not_found(f"no team {body.team_id}")
        s.add(Award(team_id=body.team_id, user_id=admin.id, value=body.value, reason=body.reason))
        bump_board(s)
    st.invalidate_board()
    return {"team_id": body.team_id, "value": body.value}


@router.get("/users")
def users(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        require_role(resolve(request, s), "admin")
        return [user_out(u) for u in s.scalars(select(User).order_by(User.id))]


@router.post("/users/{user_id}/role")
def set_role(user_id: int, body: RoleIn, request: Request):
    st = get_state(request)
    with st.db.write() as s:
        _admin_write(request, s)
        user = s.get(User, user_id)
        if user is None:
            raise not_found(f"no user {user_id}")
        user.role = body.role
        return user_out(user)


@router.get("/export")
def export(request: Request):
    """The whole event as JSON (the bundle files stay on disk; 'interpctf event export' copies them too)."""
    from interpctf.server.transfer import export_rows
    st = get_state(request)
    with st.db.read() as s:
        require_role(resolve(request, s), "admin")
        return export_rows(s)
