"""League pages: standings and rounds, a round (propose, publish, the challenges, results), a proposal's progress
and plant check, a challenge with its answer form; admin: rounds and collusion flags."""

from datetime import datetime

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import ValidationError

from interpctf.server import league
from interpctf.server.errors import bad_request
from interpctf.server.league_board import challenge_out, league_overview, proposal_out, round_detail
from interpctf.server.models import LeagueRound
from interpctf.server.pages_common import render
from interpctf.server.routes.deps import (ADMIN, CsrfUser, CurrentUser, OptionalUser, ReadSession, RowId, State,
                                          WriteSession, form_answer, only_in, see_other)
from interpctf.server.routes.league_api import REVEAL
from interpctf.server.schemas import RoundIn

router = APIRouter(include_in_schema=False, dependencies=only_in("league"))
admin_router = APIRouter(prefix="/admin/league", include_in_schema=False, dependencies=only_in("league") + ADMIN)


@router.get("/league", dependencies=REVEAL)
def league_home(request: Request, user: OptionalUser, st: State, s: ReadSession):
    data = league_overview(s, league.league_event(st, s), admin=user is not None and user.role == "admin")
    return render(request, "league/home.html", {"league": data})


@router.get("/league/rounds/{number}", dependencies=REVEAL)
def round_page(number: RowId, request: Request, user: OptionalUser, st: State, s: ReadSession):
    r = round_detail(s, league.league_event(st, s), league.get_round(s, number), user.team_id if user else None,
                     admin=user is not None and user.role == "admin")
    return render(request, "league/round.html", {"r": r})


@router.post("/league/rounds/{number}/propose")
def propose_form(number: RowId, user: CsrfUser, st: State, recipe: UploadFile | None = File(None),
                 recipe_text: str = Form(""), bundle: UploadFile | None = File(None),
                 key: UploadFile | None = File(None)):
    pid = league.start_proposal(st, user, number, recipe, recipe_text, bundle, key)
    return see_other(f"/league/proposals/{pid}")


@router.get("/league/proposals/{proposal_id}")
def proposal_page(proposal_id: RowId, request: Request, user: CurrentUser, s: ReadSession):
    p = league.get_proposal(s, proposal_id, user)
    r = s.get(LeagueRound, p.round_id)
    return render(request, "league/proposal.html", {"p": proposal_out(p), "round": r,
                                                    "round_phase": league.round_phase(r)})


@router.post("/league/proposals/{proposal_id}/confirm")
def confirm_form(proposal_id: RowId, user: CsrfUser, st: State):
    league.confirm(st, user, proposal_id)
    return see_other(f"/league/proposals/{proposal_id}")


@router.get("/league/challenges/{slug}")
def challenge_page(slug: str, request: Request, user: CurrentUser, s: ReadSession):
    c = challenge_out(s, *league.league_challenge(s, slug, user), user)
    return render(request, "league/challenge.html", {"c": c})


@router.post("/league/challenges/{slug}/submit")
def submit_form(slug: str, user: CsrfUser, st: State, file: UploadFile | None = File(None), text: str = Form(""),
                filename: str = Form("answer.py")):
    sub = league.submit_answer(st, user, slug, form_answer(st, file, text, filename))
    return see_other(f"/submissions#s{sub.id}")


@admin_router.get("", dependencies=REVEAL)
def admin_league(request: Request, st: State, s: ReadSession):
    data = league_overview(s, league.league_event(st, s), admin=True)
    return render(request, "admin/league.html", {"league": data})


@admin_router.post("/rounds")
def admin_add_round(st: State, s: WriteSession, title: str = Form(""), propose_from: str = Form(""),
                    propose_until: str = Form(""), solve_until: str = Form("")):
    try:
        body = RoundIn(title=title, propose_from=_when(propose_from), propose_until=_when(propose_until),
                       solve_until=_when(solve_until))
    except ValidationError as exc:
        raise bad_request(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    league.add_round(st, s, body.title, body.propose_from, body.propose_until, body.solve_until)
    return see_other("/admin/league")


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise bad_request(f"{text!r} is not a time; use YYYY-MM-DDTHH:MM (UTC)") from None
