"""League pages: standings and rounds, a round (propose, publish, the challenges, results), a proposal's progress
and plant check, a challenge with its answer form; admin: rounds and collusion flags."""

from datetime import datetime

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import ValidationError

from interpctf.server import league
from interpctf.server.auth import check_csrf, require_role, resolve
from interpctf.server.errors import bad_request
from interpctf.server.models import LeagueRound
from interpctf.server.league_board import league_overview, proposal_out, round_detail
from interpctf.server.pages_common import render
from interpctf.server.routes.deps import form_answer, get_state, see_other
from interpctf.server.routes.league_api import _challenge_out, add_round, league_submit, start_proposal
from interpctf.server.routes.pages import _login_required
from interpctf.server.schemas import RoundIn

router = APIRouter(include_in_schema=False)


@router.get("/league")
def league_home(request: Request):
    st = get_state(request)
    league.reveal_closed_rounds(st)
    with st.db.read() as s:
        event = league.league_event(st, s)
        auth = resolve(request, s)
        data = league_overview(s, event, admin=bool(auth.user and auth.user.role == "admin"))
        return render(request, "league/home.html", {"league": data}, auth=auth)


@router.get("/league/rounds/{number}")
def round_page(number: int, request: Request):
    st = get_state(request)
    league.reveal_closed_rounds(st)
    with st.db.read() as s:
        event = league.league_event(st, s)
        auth = resolve(request, s)
        user = auth.user
        r = round_detail(s, event, league.get_round(s, number), user.team_id if user else None,
                         admin=bool(user and user.role == "admin"))
        return render(request, "league/round.html", {"r": r}, auth=auth)


@router.post("/league/rounds/{number}/propose")
def propose_form(number: int, request: Request, recipe: UploadFile | None = File(None), recipe_text: str = Form(""),
                 bundle: UploadFile | None = File(None), key: UploadFile | None = File(None),
                 csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.read() as s:
        auth = _login_required(request, s)
    check_csrf(request, auth, csrf_token)
    pid = start_proposal(st, auth.user, number, recipe, recipe_text, bundle, key)
    return see_other(f"/league/proposals/{pid}")


@router.get("/league/proposals/{proposal_id}")
def proposal_page(proposal_id: int, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        league.league_event(st, s)
        auth = _login_required(request, s)
        p = league.get_proposal(s, proposal_id, auth.user)
        r = s.get(LeagueRound, p.round_id)
        return render(request, "league/proposal.html", {"p": proposal_out(p), "round": r,
                                                        "round_phase": league.round_phase(r)}, auth=auth)


@router.post("/league/proposals/{proposal_id}/confirm")
def confirm_form(proposal_id: int, request: Request, csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.read() as s:
        auth = _login_required(request, s)
    check_csrf(request, auth, csrf_token)
    league.confirm(st, auth.user, proposal_id)
    return see_other(f"/league/proposals/{proposal_id}")


@router.get("/league/challenges/{slug}")
def challenge_page(slug: str, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        league.league_event(st, s)
        auth = _login_required(request, s)
        c = _challenge_out(s, *league.league_challenge(s, slug, auth.user), auth.user)
        return render(request, "league/challenge.html", {"c": c}, auth=auth)


@router.post("/league/challenges/{slug}/submit")
def submit_form(slug: str, request: Request, file: UploadFile | None = File(None), text: str = Form(""),
                filename: str = Form("answer.py"), csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.read() as s:
        auth = _login_required(request, s)
    check_csrf(request, auth, csrf_token)
    answer = form_answer(st, file, text, filename)
    sub = league_submit(st, auth.user, slug, answer)
    return see_other(f"/submissions#s{sub.id}")


@router.get("/admin/league")
def admin_league(request: Request):
    st = get_state(request)
    league.reveal_closed_rounds(st)
    with st.db.read() as s:
        auth = resolve(request, s)
        require_role(auth, "admin")
        data = league_overview(s, league.league_event(st, s), admin=True)
        return render(request, "admin/league.html", {"league": data}, auth=auth)


@router.post("/admin/league/rounds")
def admin_add_round(request: Request, title: str = Form(""), propose_from: str = Form(""),
                    propose_until: str = Form(""), solve_until: str = Form(""), csrf_token: str = Form("")):
    st = get_state(request)
    try:
        body = RoundIn(title=title, propose_from=_when(propose_from), propose_until=_when(propose_until),
                       solve_until=_when(solve_until))
    except ValidationError as exc:
        raise bad_request(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    with st.db.write() as s:
        auth = resolve(request, s)
        require_role(auth, "admin")
        check_csrf(request, auth, csrf_token)
        add_round(st, s, body)
    return see_other("/admin/league")


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise bad_request(f"{text!r} is not a time; use YYYY-MM-DDTHH:MM (UTC)") from None
