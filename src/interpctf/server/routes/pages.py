"""HTML pages for participants. Forms post here with a CSRF token; errors come back as a page with one line."""

from typing import Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from interpctf.server import accounts
from interpctf.server.auth import (SESSION_COOKIE, check_csrf, end_session, new_session, resolve,
                                   set_session_cookie)
from interpctf.server.bounty import ledger as bounty_ledger
from interpctf.server.challenges import challenge_detail, challenge_summary, unlock_hint, visible_challenges
from interpctf.server.errors import ApiError
from interpctf.server.models import Challenge, Submission, User
from interpctf.server.pages_common import render
from interpctf.server.routes.api import auth_limit
from interpctf.server.routes.deps import form_answer, get_state
from interpctf.server.compare import compare_challenge
from interpctf.server.scoreboard import build_board, filter_board
from interpctf.server.state import phase
from interpctf.server.submissions import find_challenge, public_view, submit

router = APIRouter(include_in_schema=False)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _login_required(request: Request, s):
    auth = resolve(request, s)
    if auth.user is None:
        raise ApiError(401, "your session has expired; log in again" if auth.expired else "log in first")
    return auth


@router.get("/")
def home(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        event = st.event(s)
        auth = resolve(request, s)
        board = build_board(st, s, admin=bool(auth.user and auth.user.role == "admin"))
        ledger = bounty_ledger(s) if event.mode == "bounty" else None  # the bounty's prizes, on the event page
        return render(request, "home.html", {"event": event, "phase": phase(event), "board": board,
                                             "n_challenges": len(visible_challenges(s)), "ledger": ledger},
                      auth=auth)


@router.get("/register")
def register_form(request: Request):
    return render(request, "register.html", {})


@router.post("/register")
def register(request: Request, name: str = Form(""), password: str = Form(""), account_type: str = Form("human"),
             csrf_token: str = Form("")):
    st = get_state(request)
    try:
        with st.db.read() as s:
            check_csrf(request, resolve(request, s), csrf_token)
        auth_limit(request, "registration")
        with st.db.write() as s:
            user = accounts.register(s, st.event(s), name, password, account_type)
            token, _ = new_session(s, user, st.settings.session_days)
    except ApiError as exc:
        return render(request, "register.html", {"error": exc.message, "name": name}, status=exc.status)
    response = _see_other("/team" if st.settings and user.team_id is None else "/challenges")
    set_session_cookie(response, token, st.settings.session_days, st.settings.cookie_secure)
    return response


@router.get("/login")
def login_form(request: Request):
    return render(request, "login.html", {})


@router.post("/login")
def login(request: Request, name: str = Form(""), password: str = Form(""), csrf_token: str = Form("")):
    st = get_state(request)
    try:
        with st.db.read() as s:
            check_csrf(request, resolve(request, s), csrf_token)
        auth_limit(request, "login")
        with st.db.write() as s:
            user = accounts.authenticate(s, name, password)
            token, _ = new_session(s, user, st.settings.session_days)
    except ApiError as exc:
        return render(request, "login.html", {"error": exc.message, "name": name}, status=exc.status)
    response = _see_other("/challenges")
    set_session_cookie(response, token, st.settings.session_days, st.settings.cookie_secure)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.write() as s:
        auth = resolve(request, s)
        if auth.via == "cookie":
            check_csrf(request, auth, csrf_token)
        end_session(s, request)
    response = _see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/team")
def my_team(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        auth = _login_required(request, s)
        team = members = None
        if auth.user.team_id is not None:
            team = accounts.get_team(s, auth.user.team_id)
            members = accounts.team_members(s, team.id)
        return render(request, "team.html", {"team": team, "members": members}, auth=auth)


@router.post("/team/create")
def team_create(request: Request, name: str = Form(""), csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.write() as s:
        auth = _login_required(request, s)
        check_csrf(request, auth, csrf_token)
        accounts.create_team(s, st.event(s), auth.user, name)
    return _see_other("/team")


@router.post("/team/join")
def team_join(request: Request, invite_code: str = Form(""), csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.write() as s:
        auth = _login_required(request, s)
        check_csrf(request, auth, csrf_token)
        accounts.join_team(s, st.event(s), auth.user, invite_code)
    return _see_other("/team")


@router.get("/teams/{team_id}")
def team_page(team_id: int, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        team = accounts.get_team(s, team_id)
        auth = resolve(request, s)
        board = build_board(st, s, admin=bool(auth.user and auth.user.role == "admin"))
        standing = next((r for r in board["standings"] if r["team_id"] == team.id), None)
        return render(request, "team_public.html", {"team": team, "members": accounts.team_members(s, team.id),
                                                    "standing": standing}, auth=auth)


@router.get("/challenges")
def challenges(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        auth = _login_required(request, s)
        event = st.event(s)
        if phase(event) == "upcoming" and auth.user.role != "admin":
            raise ApiError(403, "the event has not started yet; challenges appear at the start")
        board = build_board(st, s, admin=auth.user.role == "admin")
        items = [challenge_summary(st, s, c, auth.user.team_id, board) for c in visible_challenges(s)]
        return render(request, "challenges.html", {"challenges": items}, auth=auth)


@router.get("/challenges/{slug}")
def challenge(slug: str, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        auth = _login_required(request, s)
        event = st.event(s)
        if phase(event) == "upcoming" and auth.user.role != "admin":
            raise ApiError(403, "the event has not started yet; challenges appear at the start")
        chal = find_challenge(s, slug)
        detail = challenge_detail(st, s, chal, auth.user.team_id, build_board(st, s, auth.user.role == "admin"))
        return render(request, "challenge.html", {"c": detail, "phase": phase(event)}, auth=auth)


@router.post("/challenges/{slug}/submit")
def submit_form(slug: str, request: Request, file: UploadFile | None = File(None), text: str = Form(""),
                filename: str = Form("answer.py"), csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.read() as s:
        auth = _login_required(request, s)
    check_csrf(request, auth, csrf_token)
    answer = form_answer(st, file, text, filename)
    sub = submit(st, auth.user, slug, answer)
    return _see_other(f"/submissions#s{sub.id}")


@router.post("/hints/{hint_id}/unlock")
def unlock(hint_id: int, request: Request, csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.write() as s:
        auth = _login_required(request, s)
        check_csrf(request, auth, csrf_token)
        hint = unlock_hint(st, s, auth.user, hint_id)
        slug = s.get(Challenge, hint.challenge_id).slug
    st.invalidate_board()
    return _see_other(f"/challenges/{slug}")


@router.get("/submissions")
def submissions(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        auth = _login_required(request, s)
        final = phase(st.event(s)) == "ended"
        rows = s.execute(select(Submission, Challenge.slug, User.account_type)
                         .join(Challenge, Challenge.id == Submission.challenge_id)
                         .join(User, User.id == Submission.user_id)
                         .where(Submission.team_id == (auth.user.team_id or -1))
                         .order_by(Submission.id.desc()).limit(200)).all()
        items = [public_view(sub, slug, final, account_type) for sub, slug, account_type in rows]
        pending = any(i["status"] in ("queued", "grading") for i in items)
        return render(request, "submissions.html", {"items": items, "final": final, "pending": pending}, auth=auth)


@router.get("/scoreboard")
def scoreboard(request: Request, accounts: Literal["human", "agent", "mixed"] | None = Query(default=None)):
    st = get_state(request)
    with st.db.read() as s:
        auth = resolve(request, s)
        board = filter_board(build_board(st, s, admin=bool(auth.user and auth.user.role == "admin")), accounts)
        return render(request, "scoreboard.html", {"board": board, "accounts": accounts}, auth=auth)


@router.get("/challenges/{slug}/compare")
def compare(slug: str, request: Request):
    """Humans versus agents on one challenge."""
    st = get_state(request)
    with st.db.read() as s:
        auth = resolve(request, s)
        admin = bool(auth.user and auth.user.role == "admin")
        event = st.event(s)
        if phase(event) == "upcoming" and not admin:
            raise ApiError(403, "the event has not started yet; challenges appear at the start")
        data = compare_challenge(s, event, find_challenge(s, slug), admin)
        return render(request, "compare.html", {"cmp": data}, auth=auth)


@router.get("/healthz", include_in_schema=False)
def healthz():
    return {"ok": True}
