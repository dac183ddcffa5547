"""Submission intake: validate, check the window, rate limit and attempt cap atomically, store as queued.

Order matters: everything that refuses an answer without cost (window, unknown challenge, size, bad answer,
already solved) runs before the counters; the rate-limit and attempt counters and the insert share one
transaction, so a refused answer counts nothing and an accepted one is durable before we reply.
"""

from sqlalchemy import insert, select, text

from interpctf.errors import BadAnswer, InterpctfError, one_line
from interpctf.kinds import get_kind
from interpctf.kinds.base import AnswerFile
from interpctf.server import ratelimit
from interpctf.server.accounts import require_team
from interpctf.server.errors import ApiError, bad_request, conflict, forbidden, not_found, too_many
from interpctf.server.models import AttemptCounter, Challenge, Submission, User, utcnow
from interpctf.server.state import ServerState, phase, variants_of


def find_challenge(session, slug: str, admin: bool = False) -> Challenge:
    chal = session.scalar(select(Challenge).where(Challenge.slug == slug))
    if chal is None or (chal.hidden and not admin):
        raise not_found(f"no challenge {slug!r}; see /api/v1/challenges for the list")
    return chal


def check_window(event, admin: bool = False) -> None:
    now_phase = phase(event)
    if now_phase == "upcoming" and not admin:
        raise forbidden("the event has not started yet")
    if now_phase == "ended":
        raise forbidden("the event is over; submissions are closed")


def submit(state: ServerState, who, slug: str, answer: AnswerFile, hidden_ok: bool = False) -> Submission:
    """``who(session) -> User`` authenticates inside the same read transaction (one connection checkout).
    ``hidden_ok``: the caller (a league round) has already checked that this hidden challenge takes answers."""
    settings = state.settings
    if len(answer.data) > settings.max_upload_bytes:
        raise ApiError(413, f"answer is {len(answer.data)} bytes; the limit is {settings.max_upload_bytes}")
    with state.db.read() as s:
        user = who(s) if callable(who) else who
        check_window(state.cached("event", lambda: state.event(s)))
        team_id = require_team(user)
        chal = state.cached(("challenge", slug), lambda: find_challenge(s, slug, admin=hidden_ok))
        variants = state.cached(("variants", chal.id), lambda: variants_of(s, chal.id))
        variant = variants[(team_id - 1) % len(variants)]
        already = s.execute(_SOLVED, {"team": team_id, "chal": chal.id}).first()
        if already is not None:
            raise conflict(f"your team has already solved {slug!r}")
        try:
            get_kind(chal.kind).parse_answer(answer, state.public_challenge(variant))
        except BadAnswer as exc:
            raise ApiError(422, one_line(exc)) from None
        except InterpctfError as exc:
            raise bad_request(one_line(exc)) from None
        chal_id, cap, number = chal.id, chal.max_attempts, variant.number
    db = state.db
    with db.write() as s:
        if not ratelimit.hit(db, s, f"sub:{user.id}", settings.wrong_per_minute):
            raise too_many(f"too many submissions: at most {settings.wrong_per_minute} per minute; wait a minute")
        if cap and s.execute(_ATTEMPT, {"team": team_id, "chal": chal_id, "cap": cap}).rowcount != 1:
            raise forbidden(f"your team has used all {cap} attempts on {slug!r}")
        values = dict(challenge_id=chal_id, user_id=user.id, team_id=team_id, variant=number,
                      filename=answer.filename[:200] or "answer", data=answer.data, status="queued",
                      created_at=utcnow(), grade_count=0, details={})
        sub_id = s.execute(_INSERT.values(**values)).scalar_one()
    state.wake_worker()
    return Submission(id=sub_id, **values)


_TABLE = Submission.__table__
_INSERT = _TABLE.insert().returning(_TABLE.c.id)  # Core, not ORM: the intake hot path
_SOLVED = text("SELECT 1 FROM submissions WHERE team_id = :team AND challenge_id = :chal "
               "AND public_solved = true LIMIT 1")

# One atomic upsert: the cap holds under concurrent requests on SQLite and PostgreSQL alike.
_ATTEMPT = text("INSERT INTO attempt_counters (team_id, challenge_id, count) VALUES (:team, :chal, 1) "
                "ON CONFLICT (team_id, challenge_id) DO UPDATE SET count = attempt_counters.count + 1 "
                "WHERE attempt_counters.count < :cap")


def attempts_used(session, team_id: int, challenge_id: int) -> int:
    return session.scalar(select(AttemptCounter.count).where(AttemptCounter.team_id == team_id,
                                                             AttemptCounter.challenge_id == challenge_id)) or 0


def public_view(sub: Submission, slug: str, final: bool = False, account_type: str | None = None) -> dict:
    """What the submitter sees: the public split while the event runs; both splits after it ends.

    ``account_type`` tags the submission by its submitter's account (human or agent)."""
    details = {k: v for k, v in (sub.details or {}).items()}
    view = {"id": sub.id, "challenge": slug, "status": sub.status, "filename": sub.filename,
            "created_at": sub.created_at.isoformat() + "Z",
            "graded_at": sub.graded_at.isoformat() + "Z" if sub.graded_at else None,
            "public_score": sub.public_score, "public_solved": sub.public_solved, "details": details,
            "account_type": account_type}
    if final:
        view.update(score=sub.score, solved=sub.solved)
    return view
