"""League rounds on the server: windows, proposals (upload, confirm), who may see and solve which challenge,
and the reveal of a round's keys once it closes. Forging and the plant check run in :mod:`league_jobs`; scores
come from :mod:`interpctf.rules.league` via :mod:`league_board`."""

import json
import os
import secrets
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy import delete, select

from interpctf.bundle import read_manifest, unpack, verify
from interpctf.errors import InterpctfError, one_line
from interpctf.intake.models import check_models
from interpctf.recipe import parse_recipe
from interpctf.schema import Key
from interpctf.server import league_jobs
from interpctf.server.accounts import require_team
from interpctf.server.errors import ApiError, bad_request, conflict, forbidden, not_found
from interpctf.server.event_spec import ChallengeSpec
from interpctf.server.league_caps import check_caps
from interpctf.server.league_jobs import FORGED_DIR
from interpctf.server.models import (Challenge, LeagueProposal, LeagueRound, Team, User, Variant, utcnow)
from interpctf.server.modes import load_config, require_mode
from interpctf.server.setup import CHALLENGES_DIR, add_challenge, variant_folders
from interpctf.server.state import ServerState
from interpctf.server.submissions import submit

LEAGUE_DIR = "league"
STALE_AFTER = timedelta(minutes=30)


def round_phase(r: LeagueRound, now: datetime | None = None) -> str:
    """``upcoming``, ``proposing``, ``solving`` or ``closed``."""
    now = now or utcnow()
    if now < r.propose_from:
        return "upcoming"
    if now < r.propose_until:
        return "proposing"
    if now < r.solve_until:
        return "solving"
    return "closed"


def league_event(state: ServerState, session):
    event = state.event(session)
    require_mode(event, "league")
    return event


def get_round(session, number: int) -> LeagueRound:
    r = session.scalar(select(LeagueRound).where(LeagueRound.number == number))
    if r is None:
        raise not_found(f"no round {number}; see /api/v1/league for the rounds")
    return r


def rounds(session) -> list[LeagueRound]:
    return list(session.scalars(select(LeagueRound).order_by(LeagueRound.number)))


def league_teams(session) -> list[tuple[int, str]]:
    """Teams that play: visible, with at least one member (n in the scoring rule)."""
    with_members = select(User.team_id).where(User.team_id.is_not(None))
    return [(t.id, t.name) for t in session.execute(select(Team.id, Team.name).where(
        Team.hidden.is_(False), Team.id.in_(with_members)).order_by(Team.id))]


def _require_proposing(r: LeagueRound) -> None:
    if round_phase(r) != "proposing":
        raise forbidden(f"round {r.number} takes proposals from {r.propose_from:%Y-%m-%d %H:%M} to "
                        f"{r.propose_until:%Y-%m-%d %H:%M} UTC; it is {round_phase(r)} now")


def open_round(state: ServerState, number: int) -> LeagueRound:
    """The round, if it takes proposals now (checked before an upload is even read)."""
    with state.db.read() as s:
        league_event(state, s)
        r = get_round(s, number)
    _require_proposing(r)
    return r


def _fresh_folder(state: ServerState, r: LeagueRound, team_id: int) -> Path:
    folder = state.data_dir / CHALLENGES_DIR / LEAGUE_DIR / f"r{r.number}-t{team_id}-{secrets.token_hex(4)}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder


def _replace_unpublished(session, r: LeagueRound, team_id: int) -> str | None:
    """Delete the team's earlier, unpublished proposal for the round; returns its folder (to remove)."""
    old = session.scalar(select(LeagueProposal).where(LeagueProposal.round_id == r.id,
                                                      LeagueProposal.team_id == team_id))
    if old is None:
        return None
    if old.status == "published":
        raise conflict(f"your team has already published its challenge for round {r.number}")
    if old.status in ("forging", "checking") and not abandoned(old):
        raise conflict("your previous proposal is still being forged or checked; wait for it to finish")
    session.execute(delete(LeagueProposal).where(LeagueProposal.id == old.id))
    session.flush()
    return old.folder


def abandoned(p: LeagueProposal) -> bool:
    """A forge or check that has reported nothing for STALE_AFTER was cut off (e.g. by a server restart)."""
    at = (p.progress or {}).get("at")
    last = datetime.fromisoformat(at) if at else p.created_at
    return utcnow() - last > STALE_AFTER


def propose_recipe(state: ServerState, user: User, number: int, text: str) -> int:
    """Store a recipe proposal (to be forged in the background); returns its id."""
    with state.db.read() as s:
        config = load_config(s, league_event(state, s)).league
    if len(text.encode()) > config.max_recipe_bytes:
        raise bad_request(f"the recipe is over {config.max_recipe_bytes} bytes")
    try:
        recipe = parse_recipe(yaml.safe_load(text), "recipe")
        check_caps(recipe, config.recipe_caps)  # the recipe's own fields; the forge job checks the rest
    except yaml.YAMLError as exc:
        raise bad_request(f"the recipe is not valid YAML: {one_line(exc)}") from None
    except InterpctfError as exc:
        raise bad_request(one_line(exc)) from None
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        raise bad_request("the recipe is nested too deeply to be a recipe") from None

    def write(folder: Path) -> None:
        folder.mkdir()
        (folder / "recipe.yaml").write_text(text)

    return _new_proposal(state, user, number, "recipe", recipe.title, write)


def propose_bundle(state: ServerState, user: User, number: int, archive: bytes, key: bytes) -> int:
    """Store an uploaded bundle archive (from ``interpctf pack``) with its key.json; returns the proposal id."""
    try:
        parsed = Key.model_validate_json(key)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise bad_request(f"the key is not a valid key.json: {where}: {first['msg']}") from None
    if parsed.key_files:
        raise bad_request("this key names private key files; a league takes keys without them (key.json only)")

    def write(folder: Path) -> None:
        with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
            path = Path(tmp) / "bundle.tar.gz"
            path.write_bytes(archive)
            try:
                root = unpack(path, Path(tmp) / "out")
                check_models(root, read_manifest(root).kind)  # from config.json headers, before any model is built
            except InterpctfError as exc:
                raise bad_request(one_line(exc)) from None
            folder.mkdir()
            os.replace(root, folder / "bundle")
        (folder / "key.json").write_bytes(key)
        (folder / "key-files").mkdir()

    return _new_proposal(state, user, number, "bundle", "", write)


def _new_proposal(state: ServerState, user: User, number: int, source: str, title: str, write) -> int:
    team_id = require_team(user)
    r = open_round(state, number)
    folder = _fresh_folder(state, r, team_id)
    try:
        write(folder)
        if source == "bundle":  # the title comes from the manifest
            title = json.loads((folder / "bundle" / "challenge.json").read_text()).get("title", "")[:200]
    except (OSError, ValueError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise bad_request(f"cannot read the upload: {one_line(exc)}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        with state.db.write() as s:
            replaced = _replace_unpublished(s, r, team_id)
            row = LeagueProposal(round_id=r.id, team_id=team_id, user_id=user.id, source=source,
                                 status="forging" if source == "recipe" else "checking", title=title or "untitled",
                                 folder=str(folder.relative_to(state.data_dir)), progress={}, check={}, error="")
            s.add(row)
            s.flush()
            proposal_id = row.id
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if replaced:  # a recipe proposal's folder is its forge output's parent
        old = state.data_dir / replaced
        shutil.rmtree(old.parent if old.name == FORGED_DIR else old, ignore_errors=True)
    return proposal_id


def get_proposal(session, proposal_id: int, user: User) -> LeagueProposal:
    row = session.get(LeagueProposal, proposal_id)
    if row is None or (row.team_id != user.team_id and user.role != "admin"):
        raise not_found(f"no proposal {proposal_id} of your team")
    return row


def confirm(state: ServerState, user: User, proposal_id: int) -> LeagueProposal:
    """Publish a checked proposal as a challenge of its round (hidden from the CTF lists; the league shows it)."""
    with state.db.write() as s:
        league_event(state, s)
        row = get_proposal(s, proposal_id, user)
        r = s.get(LeagueRound, row.round_id)
        _require_proposing(r)
        if row.status == "published":
            return row
        if row.status != "ready":
            raise conflict(f"proposal {row.id} is {row.status}; only a proposal whose plant check passed can be "
                           f"published")
        slug = f"r{r.number}-t{row.team_id}"
        folder = state.data_dir / row.folder
        variant_folders(folder)
        config = load_config(s, state.event(s)).league
        chal = add_challenge(s, state.data_dir, ChallengeSpec(slug=slug, forged=str(folder), hidden=True,
                                                              category=f"league round {r.number}"),
                             folder, position=1000 * r.number + row.team_id)
        s.flush()
        chal.max_attempts = config.max_attempts
        row.challenge_id, row.status, row.confirmed_at = chal.id, "published", utcnow()
        return row


def published(session, r: LeagueRound) -> list[tuple[LeagueProposal, Challenge]]:
    return [(p, c) for p, c in session.execute(
        select(LeagueProposal, Challenge).join(Challenge, Challenge.id == LeagueProposal.challenge_id)
        .where(LeagueProposal.round_id == r.id, LeagueProposal.status == "published").order_by(LeagueProposal.team_id))]


def league_challenge(session, slug: str, user: User | None) -> tuple[LeagueProposal, LeagueRound, Challenge]:
    """A published league challenge the user may see: the proposer's team and admins always; others once the
    round's solve window has opened."""
    row = session.execute(select(LeagueProposal, Challenge).join(Challenge, Challenge.id == LeagueProposal.challenge_id)
                          .where(Challenge.slug == slug)).first()
    missing = not_found(f"no league challenge {slug!r}; see /api/v1/league")
    if row is None:
        raise missing
    proposal, chal = row
    r = session.get(LeagueRound, proposal.round_id)
    own = user is not None and (user.role == "admin" or user.team_id == proposal.team_id)
    if not own and round_phase(r) in ("upcoming", "proposing"):
        raise missing
    return proposal, r, chal


def check_can_submit(user: User, proposal: LeagueProposal, r: LeagueRound, at: datetime) -> None:
    """Refuse unless the round is solving at ``at``. The caller stamps the answer with that same instant: an
    answer accepted inside the window is then always counted by the round's standings (which count answers made
    before ``solve_until``), even when the round closes while the answer is still being taken in."""
    team_id = require_team(user)
    if team_id == proposal.team_id:
        raise forbidden("this is your team's own challenge; proposers cannot submit to it")
    if round_phase(r, at) != "solving":
        raise forbidden(f"round {r.number} takes answers from {r.propose_until:%Y-%m-%d %H:%M} to "
                        f"{r.solve_until:%Y-%m-%d %H:%M} UTC; it is {round_phase(r)} now")


def reveal_closed_rounds(state: ServerState) -> None:
    """Check every key of each closed, unrevealed round against its commitment and publish those that match."""
    with state.db.read() as s:
        if state.event(s).mode != "league":
            return
        due = [r.id for r in rounds(s) if r.revealed_at is None and round_phase(r) == "closed"]
    for round_id in due:
        with state.db.write() as s:
            r = s.get(LeagueRound, round_id)
            if r.revealed_at is not None:
                continue
            for _proposal, chal in published(s, r):
                for variant in s.scalars(select(Variant).where(Variant.challenge_id == chal.id)):
                    try:
                        problems = verify(state.data_dir / variant.bundle_path,
                                          state.data_dir / variant.key_path).problems
                    except InterpctfError as exc:
                        problems = [one_line(exc)]
                    variant.revealed = not problems
                    variant.reveal_problems = "; ".join(problems)
            r.revealed_at = utcnow()


# ---- what the league API and pages share ---------------------------------------------------------------------
def _read_upload(upload, limit: int, what: str) -> bytes:
    if upload is None or not upload.filename:
        raise bad_request(f"choose the {what} file")
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"the {what} is over the {limit}-byte upload limit")
    return data


def start_proposal(state: ServerState, user: User, number: int, recipe, recipe_text: str, bundle, key) -> int:
    """A proposal from the API or the page form: a recipe (an uploaded file or text), or a bundle archive with
    its key; the forge or plant check starts in the background. Returns the proposal id."""
    open_round(state, number)
    limit = state.settings.max_bundle_bytes
    if (recipe is not None and recipe.filename) or recipe_text.strip():
        text = _read_upload(recipe, limit, "recipe").decode("utf-8", "replace") if recipe and recipe.filename \
            else recipe_text
        pid = propose_recipe(state, user, number, text)
        source = "recipe"
    elif bundle is not None and bundle.filename:
        pid = propose_bundle(state, user, number, _read_upload(bundle, limit, "bundle archive"),
                             _read_upload(key, limit, "key.json"))
        source = "bundle"
    else:
        raise bad_request("send a recipe (file or text), or a bundle archive (.tar.gz from 'interpctf pack') "
                          "with its key.json")
    league_jobs.start(state, pid, source)
    return pid


def submit_answer(state: ServerState, user: User, slug: str, answer):
    """An answer to a league challenge (API and page form): only in its round's solve window, never the
    proposer's own."""
    at = utcnow()  # one instant for the window check and the answer's time (see check_can_submit)
    with state.db.read() as s:
        league_event(state, s)
        proposal, r, _chal = league_challenge(s, slug, user)
        check_can_submit(user, proposal, r, at)
    return submit(state, user, slug, answer, hidden_ok=True, at=at)


def add_round(state: ServerState, session, title: str, propose_from: datetime, propose_until: datetime,
              solve_until: datetime) -> LeagueRound:
    """A new round after the last one (admin API and page)."""
    league_event(state, session)
    top = max((r.number for r in rounds(session)), default=0)
    r = LeagueRound(number=top + 1, title=title or f"Round {top + 1}", propose_from=propose_from,
                    propose_until=propose_until, solve_until=solve_until)
    session.add(r)
    session.flush()
    return r
