"""The JSON API for participants (``/api/v1``): accounts, teams, challenges, downloads, hints, submissions."""

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import select

from interpctf.kinds.base import AnswerFile
from interpctf.server import accounts, ratelimit
from interpctf.server.auth import (check_csrf, end_session, new_api_token, new_session, require_user, resolve,
                                   set_session_cookie, SESSION_COOKIE)
from interpctf.server.challenges import (bundle_archive, challenge_detail, challenge_summary, revealed_key,
                                         unlock_hint, visible_challenges)
from interpctf.server.errors import ApiError, not_found, too_many
from interpctf.server.models import Challenge, Submission, User
from interpctf.server.routes.deps import get_state, user_out
from interpctf.server.schemas import (AnswerIn, CompareOut, JoinIn, LoginIn, RegisterIn, SessionOut, SubmissionOut,
                                      TeamIn, TeamOut, TokenIn, TokenOut, UserOut)
from interpctf.server.compare import compare_challenge
from interpctf.server.scoreboard import build_board
from interpctf.server.state import phase, variant_for
from interpctf.server.submissions import find_challenge, public_view, submit

router = APIRouter(prefix="/api/v1", tags=["participants"])


def auth_limit(request: Request, what: str) -> None:
    st = get_state(request)
    with st.db.write() as s:
        if not ratelimit.hit(st.db, s, f"{what}:{ratelimit.client_address(request)}", st.settings.auth_per_minute):
            raise too_many(f"too many {what} attempts from your address; wait a minute")


def login_response(request: Request, response: Response, user) -> dict:
    st = get_state(request)
    with st.db.write() as s:
        token, csrf = new_session(s, user, st.settings.session_days)
    set_session_cookie(response, token, st.settings.session_days, st.settings.cookie_secure)
    return {"user": user_out(user), "csrf_token": csrf}


@router.post("/register", response_model=SessionOut, status_code=201)
def register(body: RegisterIn, request: Request, response: Response):
    """Create an account (and log in: the session cookie is set)."""
    auth_limit(request, "registration")
    st = get_state(request)
    with st.db.write() as s:
        user = accounts.register(s, st.event(s), body.name, body.password, body.account_type)
    return login_response(request, response, user)


@router.post("/login", response_model=SessionOut)
def login(body: LoginIn, request: Request, response: Response):
    auth_limit(request, "login")
    st = get_state(request)
    with st.db.read() as s:
        user = accounts.authenticate(s, body.name, body.password)
    return login_response(request, response, user)


@router.post("/logout", status_code=204)
def logout(request: Request):
    st = get_state(request)
    with st.db.write() as s:
        auth = resolve(request, s)
        if auth.via == "cookie":
            check_csrf(request, auth, None)
        end_session(s, request)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/tokens", response_model=TokenOut, status_code=201)
def create_token(body: TokenIn, request: Request):
    """An API token for the CLI and agents (send it as ``Authorization: Bearer <token>``). Shown once."""
    auth_limit(request, "login")
    st = get_state(request)
    with st.db.write() as s:
        user = accounts.authenticate(s, body.name, body.password)
        token = new_api_token(s, user, body.label)
    return {"token": token, "user": user_out(user)}


@router.get("/me", response_model=UserOut)
def me(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        return user_out(require_user(resolve(request, s)))


@router.get("/event")
def event_info(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        e = st.event(s)
        return {"title": e.title, "description": e.description, "mode": e.mode, "team_size": e.team_size,
                "starts_at": e.starts_at.isoformat() + "Z", "ends_at": e.ends_at.isoformat() + "Z",
                "freeze_at": e.freeze_at.isoformat() + "Z" if e.freeze_at else None, "phase": phase(e),
                "rules": e.rules, "revealed": e.revealed_at is not None}


def _team_out(s, team, show_code: bool) -> dict:
    return {"id": team.id, "name": team.name, "members": [u.name for u in accounts.team_members(s, team.id)],
            "invite_code": team.invite_code if show_code else None}


@router.post("/teams", response_model=TeamOut, status_code=201)
def create_team(body: TeamIn, request: Request):
    st = get_state(request)
    with st.db.write() as s:
        auth = resolve(request, s)
        user = require_user(auth)
        check_csrf(request, auth, None)
        team = accounts.create_team(s, st.event(s), user, body.name)
        return _team_out(s, team, True)


@router.post("/teams/join", response_model=TeamOut)
def join_team(body: JoinIn, request: Request):
    st = get_state(request)
    with st.db.write() as s:
        auth = resolve(request, s)
        user = require_user(auth)
        check_csrf(request, auth, None)
        team = accounts.join_team(s, st.event(s), user, body.invite_code)
        return _team_out(s, team, True)


@router.get("/teams/me", response_model=TeamOut)
def my_team(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        user = require_user(resolve(request, s))
        if user.team_id is None:
            raise not_found("you are not in a team; create or join one")
        return _team_out(s, accounts.get_team(s, user.team_id), True)


@router.get("/teams/{team_id}", response_model=TeamOut)
def team(team_id: int, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        return _team_out(s, accounts.get_team(s, team_id), False)


@router.get("/challenges")
def challenges(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        auth = resolve(request, s)
        user = require_user(auth)
        _require_started(st, s, user)
        board = build_board(st, s, admin=user.role == "admin")
        return [challenge_summary(st, s, c, user.team_id, board) for c in visible_challenges(s)]


def _require_started(st, s, user) -> None:
    if phase(st.event(s)) == "upcoming" and user.role != "admin":
        raise ApiError(403, "the event has not started yet; challenges appear at the start")


@router.get("/challenges/{slug}")
def challenge(slug: str, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        user = require_user(resolve(request, s))
        _require_started(st, s, user)
        chal = find_challenge(s, slug)
        return challenge_detail(st, s, chal, user.team_id, build_board(st, s, admin=user.role == "admin"))


@router.get("/challenges/{slug}/compare", response_model=CompareOut)
def compare(slug: str, request: Request):
    """Humans versus agents on this challenge: per account type, teams, attempts, best score, solves, time from
    the event start to the first solve, and attempts to a solve (same split and freeze as the scoreboard)."""
    st = get_state(request)
    with st.db.read() as s:
        auth = resolve(request, s)
        admin = bool(auth.user and auth.user.role == "admin")
        event = st.event(s)
        if phase(event) == "upcoming" and not admin:
            raise ApiError(403, "the event has not started yet; challenges appear at the start")
        return compare_challenge(s, event, find_challenge(s, slug), admin)


@router.get("/challenges/{slug}/bundle", response_class=FileResponse)
def download(slug: str, request: Request):
    """The challenge bundle as ``.tar.gz``: your team's variant when the challenge has several."""
    st = get_state(request)
    with st.db.read() as s:
        user = require_user(resolve(request, s))
        _require_started(st, s, user)
        chal = find_challenge(s, slug)
        variant = variant_for(s, chal.id, user.team_id)
    path = bundle_archive(st, variant)
    return FileResponse(path, media_type="application/gzip", filename=f"{slug}.tar.gz")


@router.get("/challenges/{slug}/key")
def key(slug: str, request: Request, variant: int = Query(default=0, ge=0)):
    """The revealed key of a variant (after the reveal only); check it with ``interpctf verify``."""
    st = get_state(request)
    with st.db.read() as s:
        return revealed_key(st, s, find_challenge(s, slug), variant)


@router.post("/hints/{hint_id}/unlock")
def unlock(hint_id: int, request: Request):
    st = get_state(request)
    with st.db.write() as s:
        auth = resolve(request, s)
        user = require_user(auth)
        check_csrf(request, auth, None)
        hint = unlock_hint(st, s, user, hint_id)
        out = {"id": hint.id, "cost": hint.cost, "content": hint.content}
    st.invalidate_board()
    return out


def _submit(request: Request, slug: str, answer: AnswerFile) -> dict:
    seen = {}

    def who(s):
        auth = resolve(request, s)
        user = require_user(auth)
        check_csrf(request, auth, None)
        seen["account_type"] = user.account_type
        return user

    sub = submit(get_state(request), who, slug, answer)
    return public_view(sub, slug, account_type=seen["account_type"])


@router.post("/challenges/{slug}/submissions", response_model=SubmissionOut, status_code=202)
def submit_file(slug: str, request: Request, file: UploadFile = File(...)):
    """Upload an answer file. It is validated now (a bad answer is refused and costs no attempt), stored, and
    queued for grading; poll ``/api/v1/submissions/{id}`` for the grade."""
    data = file.file.read(get_state(request).settings.max_upload_bytes + 1)
    return _submit(request, slug, AnswerFile(file.filename or "answer", data))


@router.post("/challenges/{slug}/submissions/json", response_model=SubmissionOut, status_code=202)
def submit_json(slug: str, body: AnswerIn, request: Request):
    """The same as the upload, with the answer given as JSON ``{"filename", "content"}``."""
    return _submit(request, slug, AnswerFile(body.filename, body.content.encode()))


@router.get("/submissions", response_model=list[SubmissionOut])
def my_submissions(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        user = require_user(resolve(request, s))
        final = phase(st.event(s)) == "ended"
        rows = s.execute(select(Submission, Challenge.slug, User.account_type)
                         .join(Challenge, Challenge.id == Submission.challenge_id)
                         .join(User, User.id == Submission.user_id)
                         .where(Submission.team_id == (user.team_id or -1)).order_by(Submission.id.desc())
                         .limit(500)).all()
        return [public_view(sub, slug, final, account_type) for sub, slug, account_type in rows]


@router.get("/submissions/{sub_id}", response_model=SubmissionOut)
def submission(sub_id: int, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        user = require_user(resolve(request, s))
        sub = s.get(Submission, sub_id)
        if sub is None or (sub.team_id != user.team_id and user.role != "admin"):
            raise not_found(f"no submission {sub_id} of yours")
        slug = s.get(Challenge, sub.challenge_id).slug
        return public_view(sub, slug, phase(st.event(s)) == "ended", s.get(User, sub.user_id).account_type)
