"""Submission intake: validate, check the window, rate limit and attempt cap atomically, store as queued.

Order matters: what refuses an answer without cost (size, window, unknown challenge, already solved) runs
first; then the rate limit, and only then is the answer parsed, since parsing costs the memory and CPU that the
rate limit is there to bound. An account whose window is full is refused by a read, before parsing. An answer the
parser refuses counts against the rate (its own small write) but costs no attempt; an accepted one is counted,
capped and inserted in one transaction (the rate and attempt counters are atomic upserts), durable before we
reply. So an account's parses per minute are bounded by its rate plus its requests in flight. Parse errors, the
parser's recursion and memory errors included, are a one-line 422.
"""

from datetime import datetime

from sqlalchemy import select, text

from interpctf.errors import BadAnswer, InterpctfError, one_line
from interpctf.kinds import get_kind
from interpctf.schema import AnswerFile
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


def submit(state: ServerState, who, slug: str, answer: AnswerFile, hidden_ok: bool = False,
           at: datetime | None = None) -> Submission:
    """``who(session) -> User`` authenticates inside the same read transaction (one connection checkout).
    ``hidden_ok``: the caller (a league round) has already checked that this hidden challenge takes answers;
    ``at``: the instant it checked that, which becomes the answer's time (default: now)."""
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
        chal_id, cap, number, kind = chal.id, chal.max_attempts, variant.number, chal.kind
        rate_key, rate = f"sub:{user.id}", settings.wrong_per_minute
        if ratelimit.full(s, rate_key, rate):
            raise too_many(_TOO_MANY.format(rate=rate))
    db = state.db
    try:
        _parse(kind, answer, state.public_challenge(variant))
    except ApiError:
        with db.write() as s:  # a refused parse still counts against the rate
            ratelimit.hit(db, s, rate_key, rate)
        raise
    with db.write() as s:
        if not ratelimit.hit(db, s, rate_key, rate):
            raise too_many(_TOO_MANY.format(rate=rate))
        if cap and s.execute(_ATTEMPT, {"team": team_id, "chal": chal_id, "cap": cap}).rowcount != 1:
            raise forbidden(f"your team has used all {cap} attempts on {slug!r}")
        values = dict(challenge_id=chal_id, user_id=user.id, team_id=team_id, variant=number,
                      filename=answer.filename[:200] or "answer", data=answer.data, status="queued",
                      created_at=at or utcnow(), grade_count=0, details={})
        sub_id = s.execute(_INSERT.values(**values)).scalar_one()
    state.wake_worker()
    return Submission(id=sub_id, **values)


_TOO_MANY = "too many submissions: at most {rate} per minute; wait a minute"


def _parse(kind: str, answer: AnswerFile, challenge) -> None:
    """Refuse an answer that can never be graded, in one line (a 422)."""
    try:
        get_kind(kind).parse_answer(answer, challenge)
    except BadAnswer as exc:
        raise ApiError(422, one_line(exc)) from None
    except InterpctfError as exc:
        raise bad_request(one_line(exc)) from None
    except (RecursionError, MemoryError):  # a kind's parser met its depth limit: the answer's shape, not ours
        raise ApiError(422, "the answer is nested too deeply to parse") from None


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


def team_submissions(state: ServerState, session, user: User, limit: int) -> list[dict]:
    """The newest answers of the user's team as its members see them (API and page)."""
    final = phase(state.event(session)) == "ended"
    rows = session.execute(select(Submission, Challenge.slug, User.account_type)
                           .join(Challenge, Challenge.id == Submission.challenge_id)
                           .join(User, User.id == Submission.user_id)
                           .where(Submission.team_id == (user.team_id or -1)).order_by(Submission.id.desc())
                           .limit(limit)).all()
    return [public_view(sub, slug, final, account_type) for sub, slug, account_type in rows]


def team_submission(state: ServerState, session, user: User, sub_id: int) -> dict:
    """One answer of the user's team (any answer for an admin)."""
    sub = session.get(Submission, sub_id)
    if sub is None or (sub.team_id != user.team_id and user.role != "admin"):
        raise not_found(f"no submission {sub_id} of yours")
    slug = session.get(Challenge, sub.challenge_id).slug
    final = phase(state.event(session)) == "ended"
    return public_view(sub, slug, final, session.get(User, sub.user_id).account_type)
