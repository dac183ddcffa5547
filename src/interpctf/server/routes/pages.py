"""HTML pages for participants. Forms post here with a CSRF token; errors come back as a page with one line."""

from typing import Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile

from interpctf.server import accounts
from interpctf.server.auth import SESSION_COOKIE, end_session, new_session, set_session_cookie
from interpctf.server.bounty import ledger as bounty_ledger
from interpctf.server.challenges import challenge_list, challenge_page, comparison, unlock_hint, visible_challenges
from interpctf.server.errors import ApiError
from interpctf.server.models import Challenge, User
from interpctf.server.pages_common import render
from interpctf.server.routes.api import auth_limit
from interpctf.server.routes.deps import (CsrfChecked, CsrfUser, CurrentUser, OptionalUser, ReadSession, RowId,
                                          SessionCsrf, State, WriteSession, form_answer, see_other)
from interpctf.server.scoreboard import build_board, filter_board
from interpctf.server.state import phase
from interpctf.server.submissions import submit, team_submissions

router = APIRouter(include_in_schema=False)


def _is_admin(user: User | None) -> bool:
    return user is not None and user.role == "admin"


@router.get("/")
def home(request: Request, user: OptionalUser, st: State, s: ReadSession):
    event = st.event(s)
    board = build_board(st, s, admin=_is_admin(user))
    ledger = bounty_ledger(s) if event.mode == "bounty" else None  # the bounty's prizes, on the event page
    return render(request, "home.html", {"event": event, "phase": phase(event), "board": board,
                                         "n_challenges": len(visible_challenges(s)), "ledger": ledger})


@router.get("/register")
def register_form(request: Request):
    return render(request, "register.html", {})


# Registering and logging in check the anonymous double-submit CSRF cookie (CsrfChecked), so no other site can
# sign a visitor in to an account of its choosing.
@router.post("/register")
def register(request: Request, _csrf: CsrfChecked, st: State, name: str = Form(""), password: str = Form(""),
             account_type: str = Form("human")):
    try:
        auth_limit(st, request, "registration")
        with st.db.write() as s:
            user = accounts.register(s, st.event(s), name, password, account_type)
            token, _ = new_session(s, user, st.settings.session_days)
    except ApiError as exc:
        return render(request, "register.html", {"error": exc.message, "name": name}, status=exc.status)
    response = see_other("/team" if user.team_id is None else "/challenges")
    set_session_cookie(response, token, st.settings.session_days, st.settings.cookie_secure)
    return response


@router.get("/login")
def login_form(request: Request):
    return render(request, "login.html", {})


@router.post("/login")
def login(request: Request, _csrf: CsrfChecked, st: State, name: str = Form(""), password: str = Form("")):
    try:
        auth_limit(st, request, "login")
        with st.db.write() as s:
            user = accounts.authenticate(s, name, password)
            token, _ = new_session(s, user, st.settings.session_days)
    except ApiError as exc:
        return render(request, "login.html", {"error": exc.message, "name": name}, status=exc.status)
    response = see_other("/challenges")
    set_session_cookie(response, token, st.settings.session_days, st.settings.cookie_secure)
    return response


@router.post("/logout")
def logout(request: Request, _auth: SessionCsrf, s: WriteSession):
    end_session(s, request)
    response = see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/team")
def my_team(request: Request, user: CurrentUser, s: ReadSession):
    team = members = None
    if user.team_id is not None:
        team = accounts.get_team(s, user.team_id)
        members = accounts.team_members(s, team.id)
    return render(request, "team.html", {"team": team, "members": members})


@router.post("/team/create")
def team_create(user: CsrfUser, st: State, s: WriteSession, name: str = Form("")):
    accounts.create_team(s, st.event(s), s.get(User, user.id), name)  # the user row, read inside the write
    return see_other("/team")


@router.post("/team/join")
def team_join(user: CsrfUser, st: State, s: WriteSession, invite_code: str = Form("")):
    accounts.join_team(s, st.event(s), s.get(User, user.id), invite_code)
    return see_other("/team")


@router.get("/teams/{team_id}")
def team_page(team_id: RowId, request: Request, user: OptionalUser, st: State, s: ReadSession):
    team = accounts.get_team(s, team_id)
    board = build_board(st, s, admin=_is_admin(user))
    standing = next((r for r in board["standings"] if r["team_id"] == team.id), None)
    return render(request, "team_public.html", {"team": team, "members": accounts.team_members(s, team.id),
                                                "standing": standing})


@router.get("/challenges")
def challenges(request: Request, user: CurrentUser, st: State, s: ReadSession):
    return render(request, "challenges.html", {"challenges": challenge_list(st, s, user)})


@router.get("/challenges/{slug}")
def challenge(slug: str, request: Request, user: CurrentUser, st: State, s: ReadSession):
    detail = challenge_page(st, s, slug, user)
    return render(request, "challenge.html", {"c": detail, "phase": phase(st.event(s))})


@router.post("/challenges/{slug}/submit")
def submit_form(slug: str, user: CsrfUser, st: State, file: UploadFile | None = File(None), text: str = Form(""),
                filename: str = Form("answer.py")):
    sub = submit(st, user, slug, form_answer(st, file, text, filename))
    return see_other(f"/submissions#s{sub.id}")


@router.post("/hints/{hint_id}/unlock")
def unlock(hint_id: RowId, user: CsrfUser, st: State, s: WriteSession):
    hint = unlock_hint(st, s, user, hint_id)
    slug = s.get(Challenge, hint.challenge_id).slug
    s.commit()  # before the board is invalidated, so the next read sees the hint's cost
    st.invalidate_board()
    return see_other(f"/challenges/{slug}")


@router.get("/submissions")
def submissions(request: Request, user: CurrentUser, st: State, s: ReadSession):
    items = team_submissions(st, s, user, limit=200)
    final = phase(st.event(s)) == "ended"
    pending = any(i["status"] in ("queued", "grading") for i in items)
    return render(request, "submissions.html", {"items": items, "final": final, "pending": pending})


@router.get("/scoreboard")
def scoreboard(request: Request, user: OptionalUser, st: State, s: ReadSession,
               accounts: Literal["human", "agent", "mixed"] | None = Query(default=None)):
    board = filter_board(build_board(st, s, admin=_is_admin(user)), accounts)
    return render(request, "scoreboard.html", {"board": board, "accounts": accounts})


@router.get("/challenges/{slug}/compare")
def compare(slug: str, request: Request, user: OptionalUser, st: State, s: ReadSession):
    """Humans versus agents on one challenge."""
    return render(request, "compare.html", {"cmp": comparison(st, s, slug, user)})


@router.get("/healthz", include_in_schema=False)
def healthz():
    return {"ok": True}
