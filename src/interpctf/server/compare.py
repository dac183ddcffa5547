"""Humans versus agents on one challenge: gathers tagged attempts and asks :mod:`interpctf.rules.compare`.

The same visibility as the scoreboard: the public split while the event runs, the private one after it ends;
while frozen, everyone but admins sees only attempts made before the freeze. Hidden teams are left out.
"""

from dataclasses import asdict

from sqlalchemy import select

from interpctf.rules.compare import TaggedAttempt, compare_groups
from interpctf.server.models import Challenge, Submission, Team, User
from interpctf.server.state import phase


def _iso(t) -> str | None:
    return t.isoformat() + "Z" if t else None


def compare_challenge(session, event, chal: Challenge, admin: bool) -> dict:
    now_phase = phase(event)
    final = now_phase == "ended"
    freeze = event.freeze_at if now_phase == "frozen" and not admin else None
    score_col, solved_col = ((Submission.score, Submission.solved) if final
                             else (Submission.public_score, Submission.public_solved))
    q = (select(User.account_type, Submission.team_id, score_col, solved_col, Submission.created_at)
         .join(User, User.id == Submission.user_id).join(Team, Team.id == Submission.team_id)
         .where(Submission.challenge_id == chal.id, Submission.status == "graded", Team.hidden.is_(False)))
    if freeze is not None:
        q = q.where(Submission.created_at < freeze)
    attempts = [TaggedAttempt(group=r[0], team=r[1], score=float(r[2] or 0.0), solved=bool(r[3]), at=r[4])
                for r in session.execute(q)]
    groups = compare_groups(attempts, event.starts_at)
    return {"challenge": chal.slug, "title": chal.title, "phase": now_phase,
            "split": "private" if final else "public", "frozen_at": _iso(freeze),
            "event_start": _iso(event.starts_at), "groups": {g: asdict(s) for g, s in groups.items()}}
