"""The league JSON API (``/api/v1/league``): rounds and standings, proposals (recipe, or bundle + key), the
plant check and confirmation, challenges of a round, answers, revealed keys; admin: rounds and collusion flags."""

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import select

from interpctf.bundle import read_key
from interpctf.schema import AnswerFile
from interpctf.server import league
from interpctf.server.challenges import bundle_archive
from interpctf.server.errors import forbidden, not_found
from interpctf.server.league_board import challenge_out, league_overview, proposal_out, round_detail, round_out
from interpctf.server.models import Variant
from interpctf.server.routes.deps import (ADMIN, CsrfUser, CurrentUser, OptionalUser, ReadSession, RowId, State,
                                          WriteSession, only_in)
from interpctf.server.schemas import AnswerIn, RoundIn, SubmissionOut
from interpctf.server.state import variant_for
from interpctf.server.submissions import public_view

router = APIRouter(prefix="/api/v1/league", tags=["league"], dependencies=only_in("league"))


def reveal_due_rounds(st: State) -> None:
    """Routes that show results or keys first reveal the rounds that have closed (in sessions of their own)."""
    league.reveal_closed_rounds(st)


REVEAL = [Depends(reveal_due_rounds)]


def _is_admin(user) -> bool:
    return user is not None and user.role == "admin"


@router.get("", dependencies=REVEAL)
def overview(user: OptionalUser, st: State, s: ReadSession):
    """Rounds (with their windows and phase), per-round standings of closed rounds, and the cumulative standings."""
    return league_overview(s, league.league_event(st, s), admin=_is_admin(user))


@router.get("/rounds/{number}", dependencies=REVEAL)
def round_view(number: RowId, user: OptionalUser, st: State, s: ReadSession):
    event = league.league_event(st, s)
    return round_detail(s, event, league.get_round(s, number), user.team_id if user else None,
                        admin=_is_admin(user))


@router.post("/rounds/{number}/proposals", status_code=202)
def propose(number: RowId, user: CsrfUser, st: State, s: ReadSession, recipe: UploadFile | None = File(None),
            recipe_text: str = Form(""), bundle: UploadFile | None = File(None), key: UploadFile | None = File(None)):
    """Propose your team's challenge for a round: a ``recipe`` (forged here) or a ``bundle`` + ``key``. The plant
    is checked in the background; poll ``/api/v1/league/proposals/{id}``, then confirm to publish."""
    pid = league.start_proposal(st, user, number, recipe, recipe_text, bundle, key)
    return proposal_out(league.get_proposal(s, pid, user))


@router.get("/proposals/{proposal_id}")
def proposal(proposal_id: RowId, user: CurrentUser, s: ReadSession):
    return proposal_out(league.get_proposal(s, proposal_id, user))


@router.post("/proposals/{proposal_id}/confirm")
def confirm(proposal_id: RowId, user: CsrfUser, st: State):
    """Publish a proposal whose plant check passed; it opens to the other teams with the solve window."""
    return proposal_out(league.confirm(st, user, proposal_id))


@router.get("/challenges/{slug}")
def challenge(slug: str, user: CurrentUser, s: ReadSession):
    return challenge_out(s, *league.league_challenge(s, slug, user), user)


@router.get("/challenges/{slug}/bundle", response_class=FileResponse)
def bundle(slug: str, user: CurrentUser, st: State, s: ReadSession):
    _p, _r, chal = league.league_challenge(s, slug, user)
    variant = variant_for(s, chal.id, user.team_id)
    s.close()  # packing the first download can take a while; no connection is held meanwhile
    return FileResponse(bundle_archive(st, variant), media_type="application/gzip", filename=f"{slug}.tar.gz")


@router.get("/challenges/{slug}/key", dependencies=REVEAL)
def key(slug: str, user: OptionalUser, st: State, s: ReadSession):
    """The key of a challenge once its round has closed and the key matched its commitment."""
    _p, r, chal = league.league_challenge(s, slug, user)
    variant = s.scalar(select(Variant).where(Variant.challenge_id == chal.id).order_by(Variant.number).limit(1))
    if r.revealed_at is None or variant is None or not variant.revealed:
        raise forbidden(f"the key of {slug!r} is revealed after round {r.number} closes")
    return read_key(st.data_dir / variant.key_path).model_dump(mode="json")


@router.post("/challenges/{slug}/submissions", response_model=SubmissionOut, status_code=202)
def submit_file(slug: str, user: CsrfUser, st: State, file: UploadFile = File(...)):
    """Answer a challenge of the round being solved (not your own team's); graded by the usual queue."""
    data = file.file.read(st.settings.max_upload_bytes + 1)
    return public_view(league.submit_answer(st, user, slug, AnswerFile(file.filename or "answer", data)), slug)


@router.post("/challenges/{slug}/submissions/json", response_model=SubmissionOut, status_code=202)
def submit_json(slug: str, body: AnswerIn, user: CsrfUser, st: State):
    return public_view(league.submit_answer(st, user, slug, AnswerFile(body.filename, body.content.encode())), slug)


@router.get("/rounds/{number}/standings", dependencies=REVEAL)
def round_standings(number: RowId, st: State, s: ReadSession):
    """Standings of one closed round (404 while it is still open)."""
    detail = round_detail(s, league.league_event(st, s), league.get_round(s, number), None)
    if "standings" not in detail:
        raise not_found(f"round {number} is {detail['phase']}; it is scored when it closes")
    return detail["standings"]


# ---- admin ---------------------------------------------------------------------------------------------------
admin_router = APIRouter(prefix="/api/v1/admin/league", tags=["admin"], dependencies=only_in("league") + ADMIN)


@admin_router.post("/rounds", status_code=201)
def create_round(body: RoundIn, st: State, s: WriteSession):
    return round_out(league.add_round(st, s, body.title, body.propose_from, body.propose_until, body.solve_until))


@admin_router.get("/flags")
def flags(st: State, s: ReadSession):
    """Collusion signal: proposers whose challenges the same single team solved in two or more rounds."""
    return league_overview(s, league.league_event(st, s), admin=True)["collusion"]
