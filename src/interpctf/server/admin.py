"""What the admin API and the admin pages share: the submissions table, re-grading, the event's counts."""

from sqlalchemy import func, select, update

from interpctf.server.audit_admin import audit_out
from interpctf.server.errors import not_found
from interpctf.server.grading_queue import bump_board
from interpctf.server.models import Award, Challenge, Submission, Team, User, Variant


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


def regrade_submission(s, sub_id: int) -> None:
    """Queue a graded (or failed) submission again; its new grade replaces the old."""
    if s.get(Submission, sub_id) is None:
        raise not_found(f"no submission {sub_id}")
    s.execute(update(Submission).where(Submission.id == sub_id, Submission.status.in_(("graded", "failed")))
              .values(status="queued", claimed_by=None))
    bump_board(s)


def add_award(s, admin: User, team_id: int, value: int, reason: str) -> None:
    if s.get(Team, team_id) is None:
        raise not_found(f"no team {team_id}")
    s.add(Award(team_id=team_id, user_id=admin.id, value=value, reason=reason))
    bump_board(s)


def set_role(s, user_id: int, role: str) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise not_found(f"no user {user_id}")
    user.role = role
    return user


def event_stats(s) -> dict:
    counts = {status: n for status, n in s.execute(select(Submission.status, func.count(Submission.id))
                                                    .group_by(Submission.status))}
    return {"users": s.scalar(select(func.count(User.id))), "teams": s.scalar(select(func.count(Team.id))),
            "challenges": s.scalar(select(func.count(Challenge.id))), "submissions": counts}


def challenge_rows(s) -> list[dict]:
    rows = []
    for c in s.scalars(select(Challenge).order_by(Challenge.position)):
        variants = s.scalars(select(Variant).where(Variant.challenge_id == c.id).order_by(Variant.number)).all()
        rows.append({"c": c, "variants": variants, "audit": audit_out(c.audit)})
    return rows
