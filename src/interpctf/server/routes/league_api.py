"""The league JSON API (``/api/v1/league``): rounds and standings, proposals (recipe, or bundle + key), the
plant check and confirmation, challenges of a round, answers, revealed keys; admin: rounds and collusion flags."""

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import select

from interpctf.bundle import read_key
from interpctf.kinds.base import AnswerFile
from interpctf.server import league, league_jobs
from interpctf.server.auth import check_csrf, require_role, resolve
from interpctf.server.challenges import bundle_archive
from interpctf.server.errors import ApiError, bad_request, forbidden, not_found
from interpctf.server.league_board import league_overview, proposal_out, round_detail, round_out
from interpctf.server.models import LeagueRound, Variant
from interpctf.server.routes.deps import api_user, get_state
from interpctf.server.schemas import AnswerIn, RoundIn, SubmissionOut
from interpctf.server.state import variant_for
from interpctf.server.submissions import public_view, submit

router = APIRouter(prefix="/api/v1/league", tags=["league"])


def _read(upload: UploadFile | None, limit: int, what: str) -> bytes:
    if upload is None or not upload.filename:
        raise bad_request(f"choose the {what} file")
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"the {what} is over the {limit}-byte upload limit")
    return data


@router.get("")
def overview(request: Request):
    """Rounds (with their windows and phase), per-round standings of closed rounds, and the cumulative standings."""
    st = get_state(request)
    league.reveal_closed_rounds(st)
    with st.db.read() as s:
        event = league.league_event(st, s)
        auth = resolve(request, s)
        return league_overview(s, event, admin=bool(auth.user and auth.user.role == "admin"))


@router.get("/rounds/{number}")
def round_view(number: int, request: Request):
    st = get_state(request)
    league.reveal_closed_rounds(st)
    with st.db.read() as s:
        event = league.league_event(st, s)
        auth = resolve(request, s)
        user = auth.user
        return round_detail(s, event, league.get_round(s, number), user.team_id if user else None,
                            admin=bool(user and user.role == "admin"))


def start_proposal(st, user, number: int, recipe: UploadFile | None, recipe_text: str,
                   bundle: UploadFile | None, key: UploadFile | None) -> int:
    """Shared by the API and the page form: a recipe (file or text), or a bundle archive with its key."""
    league.open_round(st, number)
    limit = st.settings.max_bundle_bytes
    if (recipe is not None and recipe.filename) or recipe_text.strip():
        text = _read(recipe, limit, "recipe").decode("utf-8", "replace") if recipe and recipe.filename \
            else recipe_text
        pid = league.propose_recipe(st, user, number, text)
        source = "recipe"
    elif bundle is not None and bundle.filename:
        pid = league.propose_bundle(st, user, number, _read(bundle, limit, "bundle archive"),
                                    _read(key, limit, "key.json"))
        source = "bundle"
    else:
        raise bad_request("send a recipe (file or text), or a bundle archive (.tar.gz from 'interpctf pack') "
                          "with its key.json")
    league_jobs.start(st, pid, source)
    return pid


@router.post("/rounds/{number}/proposals", status_code=202)
def propose(number: int, request: Request, recipe: UploadFile | None = File(None), recipe_text: str = Form(""),
            bundle: UploadFile | None = File(None), key: UploadFile | None = File(None)):
    """Propose your team's challenge for a round: a ``recipe`` (forged here) or a ``bundle`` + ``key``. The plant
    is checked in the background; poll ``/api/v1/league/proposals/{id}``, then confirm to publish."""
    st = get_state(request)
    with st.db.read() as s:
        user = api_user(request, s, write=True)
    pid = start_proposal(st, user, number, recipe, recipe_text, bundle, key)
    with st.db.read() as s:
        return proposal_out(league.get_proposal(s, pid, api_user(request, s)))


@router.get("/proposals/{proposal_id}")
def proposal(proposal_id: int, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        league.league_event(st, s)
        return proposal_out(league.get_proposal(s, proposal_id, api_user(request, s)))


@router.post("/proposals/{proposal_id}/confirm")
def confirm(proposal_id: int, request: Request):
    """Publish a proposal whose plant check passed; it opens to the other teams with the solve window."""
    st = get_state(request)
    with st.db.read() as s:
        user = api_user(request, s, write=True)
    return proposal_out(league.confirm(st, user, proposal_id))


def _challenge_out(s, proposal, r, chal, user) -> dict:
    variant = variant_for(s, chal.id, user.team_id if user else None)
    return {"slug": chal.slug, "title": chal.title, "kind": chal.kind, "statement": chal.statement,
            "answer_help": chal.answer_help, "round": r.number, "round_phase": league.round_phase(r),
            "proposer_id": proposal.team_id, "commitment": variant.commitment,
            "bundle_url": f"/api/v1/league/challenges/{chal.slug}/bundle",
            "max_attempts": chal.max_attempts,
            "key_url": f"/api/v1/league/challenges/{chal.slug}/key" if variant.revealed else None}


@router.get("/challenges/{slug}")
def challenge(slug: str, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        league.league_event(st, s)
        user = api_user(request, s)
        return _challenge_out(s, *league.league_challenge(s, slug, user), user)


@router.get("/challenges/{slug}/bundle", response_class=FileResponse)
def bundle(slug: str, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        league.league_event(st, s)
        user = api_user(request, s)
        _p, _r, chal = league.league_challenge(s, slug, user)
        variant = variant_for(s, chal.id, user.team_id)
    return FileResponse(bundle_archive(st, variant), media_type="application/gzip", filename=f"{slug}.tar.gz")


@router.get("/challenges/{slug}/key")
def key(slug: str, request: Request):
    """The key of a challenge once its round has closed and the key matched its commitment."""
    st = get_state(request)
    league.reveal_closed_rounds(st)
    with st.db.read() as s:
        league.league_event(st, s)
        _p, r, chal = league.league_challenge(s, slug, resolve(request, s).user)
        variant = s.scalar(select(Variant).where(Variant.challenge_id == chal.id).order_by(Variant.number).limit(1))
        if r.revealed_at is None or variant is None or not variant.revealed:
            raise forbidden(f"the key of {slug!r} is revealed after round {r.number} closes")
        return read_key(st.data_dir / variant.key_path).model_dump(mode="json")


def league_submit(st, user, slug: str, answer: AnswerFile):
    with st.db.read() as s:
        league.league_event(st, s)
        proposal, r, _chal = league.league_challenge(s, slug, user)
        league.check_can_submit(user, proposal, r)
    return submit(st, user, slug, answer, hidden_ok=True)


@router.post("/challenges/{slug}/submissions", response_model=SubmissionOut, status_code=202)
def submit_file(slug: str, request: Request, file: UploadFile = File(...)):
    """Answer a challenge of the round being solved (not your own team's); graded by the usual queue."""
    st = get_state(request)
    with st.db.read() as s:
        user = api_user(request, s, write=True)
    data = file.file.read(st.settings.max_upload_bytes + 1)
    return public_view(league_submit(st, user, slug, AnswerFile(file.filename or "answer", data)), slug)


@router.post("/challenges/{slug}/submissions/json", response_model=SubmissionOut, status_code=202)
def submit_json(slug: str, body: AnswerIn, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        user = api_user(request, s, write=True)
    return public_view(league_submit(st, user, slug, AnswerFile(body.filename, body.content.encode())), slug)


@router.get("/rounds/{number}/standings")
def round_standings(number: int, request: Request):
    """Standings of one closed round (404 while it is still open)."""
    st = get_state(request)
    league.reveal_closed_rounds(st)
    with st.db.read() as s:
        event = league.league_event(st, s)
        r = league.get_round(s, number)
        detail = round_detail(s, event, r, None)
        if "standings" not in detail:
            raise not_found(f"round {number} is {detail['phase']}; it is scored when it closes")
        return detail["standings"]


# ---- admin ---------------------------------------------------------------------------------------------------
admin_router = APIRouter(prefix="/api/v1/admin/league", tags=["admin"])


def add_round(st, s, body: RoundIn) -> LeagueRound:
    league.league_event(st, s)
    top = max((r.number for r in league.rounds(s)), default=0)
    r = LeagueRound(number=top + 1, title=body.title or f"Round {top + 1}", propose_from=body.propose_from,
                    propose_until=body.propose_until, solve_until=body.solve_until)
    s.add(r)
    s.flush()
    return r


@admin_router.post("/rounds", status_code=201)
def create_round(body: RoundIn, request: Request):
    st = get_state(request)
    with st.db.write() as s:
        auth = resolve(request, s)
        require_role(auth, "admin")
        check_csrf(request, auth, None)
        return round_out(add_round(st, s, body))


@admin_router.get("/flags")
def flags(request: Request):
    """Collusion signal: proposers whose challenges the same single team solved in two or more rounds."""
    st = get_state(request)
    with st.db.read() as s:
        require_role(resolve(request, s), "admin")
        return league_overview(s, league.league_event(st, s), admin=True)["collusion"]
