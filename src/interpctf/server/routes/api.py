"""The JSON API for participants (``/api/v1``): accounts, teams, challenges, downloads, hints, submissions."""

from fastapi import APIRouter, File, Request, Response, UploadFile
from fastapi.responses import FileResponse

from interpctf.schema import AnswerFile
from interpctf.server import accounts, ratelimit
from interpctf.server.auth import SESSION_COOKIE, end_session, new_api_token, new_session, set_session_cookie
from interpctf.server.challenges import (bundle_archive, challenge_list, challenge_page, comparison,
                                         require_started, revealed_key, unlock_hint)
from interpctf.server.errors import not_found, too_many
from interpctf.server.models import User
from interpctf.server.routes.deps import (CsrfUser, CurrentUser, OptionalUser, ReadSession, RowId, SessionCsrf,
                                          State, VariantNo, WriteSession, user_out)
from interpctf.server.schemas import (AnswerIn, CompareOut, JoinIn, LoginIn, RegisterIn, SessionOut, SubmissionOut,
                                      TeamIn, TeamOut, TokenIn, TokenOut, UserOut)
from interpctf.server.state import ServerState, phase, variant_for
from interpctf.server.submissions import find_challenge, public_view, submit, team_submission, team_submissions

router = APIRouter(prefix="/api/v1", tags=["participants"])


def auth_limit(st: ServerState, request: Request, what: str) -> None:
    """Count a login or registration attempt from the caller's address (committed at once: a failed attempt
    counts too)."""
    with st.db.write() as s:
        if not ratelimit.hit(st.db, s, f"{what}:{ratelimit.client_address(request)}", st.settings.auth_per_minute):
            raise too_many(f"too many {what} attempts from your address; wait a minute")


def login_response(st: ServerState, response: Response, user) -> dict:
    with st.db.write() as s:
        token, csrf = new_session(s, user, st.settings.session_days)
    set_session_cookie(response, token, st.settings.session_days, st.settings.cookie_secure)
    return {"user": user_out(user), "csrf_token": csrf}


# Register, login and token creation take no CSRF token: the caller has no session yet (it proves itself with a
# password), the bodies are JSON (a cross-site form cannot send them) and cookies are SameSite=Lax.
@router.post("/register", response_model=SessionOut, status_code=201)
def register(body: RegisterIn, request: Request, response: Response, st: State):
    """Create an account (and log in: the session cookie is set)."""
    auth_limit(st, request, "registration")
    with st.db.write() as s:
        user = accounts.register(s, st.event(s), body.name, body.password, body.account_type)
    return login_response(st, response, user)


@router.post("/login", response_model=SessionOut)
def login(body: LoginIn, request: Request, response: Response, st: State):
    auth_limit(st, request, "login")
    with st.db.read() as s:
        user = accounts.authenticate(s, body.name, body.password)
    return login_response(st, response, user)


@router.post("/logout", status_code=204)
def logout(request: Request, _auth: SessionCsrf, s: WriteSession):
    end_session(s, request)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/tokens", response_model=TokenOut, status_code=201)
def create_token(body: TokenIn, request: Request, st: State):
    """An API token for the CLI and agents (send it as ``Authorization: Bearer <token>``). Shown once."""
    auth_limit(st, request, "login")
    with st.db.write() as s:
        user = accounts.authenticate(s, body.name, body.password)
        token = new_api_token(s, user, body.label)
    return {"token": token, "user": user_out(user)}


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser):
    return user_out(user)


@router.get("/event")
def event_info(st: State, s: ReadSession):
    e = st.event(s)
    return {"title": e.title, "description": e.description, "mode": e.mode, "team_size": e.team_size,
            "starts_at": e.starts_at.isoformat() + "Z", "ends_at": e.ends_at.isoformat() + "Z",
            "freeze_at": e.freeze_at.isoformat() + "Z" if e.freeze_at else None, "phase": phase(e),
            "rules": e.rules, "revealed": e.revealed_at is not None}


def _team_out(s, team, show_code: bool) -> dict:
    return {"id": team.id, "name": team.name, "members": [u.name for u in accounts.team_members(s, team.id)],
            "invite_code": team.invite_code if show_code else None}


@router.post("/teams", response_model=TeamOut, status_code=201)
def create_team(body: TeamIn, user: CsrfUser, st: State, s: WriteSession):
    # the user row is read again inside the write transaction: its team is what changes
    team = accounts.create_team(s, st.event(s), s.get(User, user.id), body.name)
    return _team_out(s, team, True)


@router.post("/teams/join", response_model=TeamOut)
def join_team(body: JoinIn, user: CsrfUser, st: State, s: WriteSession):
    team = accounts.join_team(s, st.event(s), s.get(User, user.id), body.invite_code)
    return _team_out(s, team, True)


@router.get("/teams/me", response_model=TeamOut)
def my_team(user: CurrentUser, s: ReadSession):
    if user.team_id is None:
        raise not_found("you are not in a team; create or join one")
    return _team_out(s, accounts.get_team(s, user.team_id), True)


@router.get("/teams/{team_id}", response_model=TeamOut)
def team(team_id: RowId, s: ReadSession):
    return _team_out(s, accounts.get_team(s, team_id), False)


@router.get("/challenges")
def challenges(user: CurrentUser, st: State, s: ReadSession):
    return challenge_list(st, s, user)


@router.get("/challenges/{slug}")
def challenge(slug: str, user: CurrentUser, st: State, s: ReadSession):
    return challenge_page(st, s, slug, user)


@router.get("/challenges/{slug}/compare", response_model=CompareOut)
def compare(slug: str, user: OptionalUser, st: State, s: ReadSession):
    """Humans versus agents on this challenge: per account type, teams, attempts, best score, solves, time from
    the event start to the first solve, and attempts to a solve (same split and freeze as the scoreboard)."""
    return comparison(st, s, slug, user)


@router.get("/challenges/{slug}/bundle", response_class=FileResponse)
def download(slug: str, user: CurrentUser, st: State, s: ReadSession):
    """The challenge bundle as ``.tar.gz``: your team's variant when the challenge has several."""
    require_started(st, s, user)
    variant = variant_for(s, find_challenge(s, slug).id, user.team_id)
    s.close()  # packing the first download can take a while; no connection is held meanwhile
    return FileResponse(bundle_archive(st, variant), media_type="application/gzip", filename=f"{slug}.tar.gz")


@router.get("/challenges/{slug}/key")
def key(slug: str, st: State, s: ReadSession, variant: VariantNo = 0):
    """The revealed key of a variant (after the reveal only); check it with ``interpctf verify``."""
    return revealed_key(st, s, find_challenge(s, slug), variant)


@router.post("/hints/{hint_id}/unlock")
def unlock(hint_id: RowId, user: CsrfUser, st: State, s: WriteSession):
    hint = unlock_hint(st, s, user, hint_id)
    out = {"id": hint.id, "cost": hint.cost, "content": hint.content}
    s.commit()  # before the board is invalidated, so the next read sees the hint's cost
    st.invalidate_board()
    return out


@router.post("/challenges/{slug}/submissions", response_model=SubmissionOut, status_code=202)
def submit_file(slug: str, user: CsrfUser, st: State, file: UploadFile = File(...)):
    """Upload an answer file. It is validated now (a bad answer is refused and costs no attempt), stored, and
    queued for grading; poll ``/api/v1/submissions/{id}`` for the grade."""
    data = file.file.read(st.settings.max_upload_bytes + 1)
    sub = submit(st, user, slug, AnswerFile(file.filename or "answer", data))
    return public_view(sub, slug, account_type=user.account_type)


@router.post("/challenges/{slug}/submissions/json", response_model=SubmissionOut, status_code=202)
def submit_json(slug: str, body: AnswerIn, user: CsrfUser, st: State):
    """The same as the upload, with the answer given as JSON ``{"filename", "content"}``."""
    sub = submit(st, user, slug, AnswerFile(body.filename, body.content.encode()))
    return public_view(sub, slug, account_type=user.account_type)


@router.get("/submissions", response_model=list[SubmissionOut])
def my_submissions(user: CurrentUser, st: State, s: ReadSession):
    return team_submissions(st, s, user, limit=500)


@router.get("/submissions/{sub_id}", response_model=SubmissionOut)
def submission(sub_id: RowId, user: CurrentUser, st: State, s: ReadSession):
    return team_submission(st, s, user, sub_id)
