"""Challenges as participants see them, bundle downloads (each team its variant), hints, and the reveal."""

import os
import tempfile
from pathlib import Path

from sqlalchemy import select

from interpctf.bundle import pack, read_key, read_manifest, verify
from interpctf.errors import InterpctfError, one_line
from interpctf.rules import ValueRule
from interpctf.rules.standings import challenge_values
from interpctf.server.compare import compare_challenge
from interpctf.server.audit_admin import audit_out
from interpctf.server.errors import forbidden, not_found
from interpctf.server.grading_queue import bump_board
from interpctf.server.models import Award, Challenge, Hint, HintUnlock, Submission, User, Variant, utcnow
from interpctf.server.scoreboard import build_board
from interpctf.server.state import ServerState, phase, variant_for
from interpctf.server.submissions import attempts_used, find_challenge


def require_started(state: ServerState, session, user: User | None) -> None:
    """Before the start only admins see the challenges."""
    if phase(state.event(session)) == "upcoming" and not (user is not None and user.role == "admin"):
        raise forbidden("the event has not started yet; challenges appear at the start")


def challenge_list(state: ServerState, session, user: User) -> list[dict]:
    """The challenges list (API and page): values and solves from the board, the team's attempts."""
    require_started(state, session, user)
    board = build_board(state, session, admin=user.role == "admin")
    return [challenge_summary(state, session, c, user.team_id, board) for c in visible_challenges(session)]


def challenge_page(state: ServerState, session, slug: str, user: User) -> dict:
    """One challenge as its team sees it (API and page)."""
    require_started(state, session, user)
    board = build_board(state, session, admin=user.role == "admin")
    return challenge_detail(state, session, find_challenge(session, slug), user.team_id, board)


def comparison(state: ServerState, session, slug: str, user: User | None) -> dict:
    """Humans versus agents on one challenge (API and page); public once the event has started."""
    require_started(state, session, user)
    admin = user is not None and user.role == "admin"
    return compare_challenge(session, state.event(session), find_challenge(session, slug), admin)


def visible_challenges(session, admin: bool = False) -> list[Challenge]:
    q = select(Challenge).order_by(Challenge.position, Challenge.id)
    if not admin:
        q = q.where(Challenge.hidden.is_(False))
    return list(session.scalars(q))


def challenge_summary(state: ServerState, session, chal: Challenge, team_id: int | None, board: dict) -> dict:
    values = {c["slug"]: c for c in board["challenges"]}
    info = values.get(chal.slug, {"value": ValueRule.model_validate(chal.value).initial, "solves": 0})
    out = {"slug": chal.slug, "title": chal.title, "kind": chal.kind, "category": chal.category,
           "value": info["value"], "solves": info["solves"], "max_attempts": chal.max_attempts}
    if team_id is not None:
        out["attempts_used"] = attempts_used(session, team_id, chal.id)
        out["solved_by_you"] = session.scalar(
            select(Submission.id).where(Submission.team_id == team_id, Submission.challenge_id == chal.id,
                                        Submission.public_solved.is_(True)).limit(1)) is not None
    return out


def challenge_detail(state: ServerState, session, chal: Challenge, team_id: int | None, board: dict) -> dict:
    event = state.event(session)
    variant = variant_for(session, chal.id, team_id)
    manifest = read_manifest(state.data_dir / variant.bundle_path)
    out = challenge_summary(state, session, chal, team_id, board)
    unlocked = set()
    if team_id is not None:
        unlocked = set(session.scalars(select(HintUnlock.hint_id).where(HintUnlock.team_id == team_id)))
    hints = session.scalars(select(Hint).where(Hint.challenge_id == chal.id, Hint.published.is_(True))
                            .order_by(Hint.id)).all()
    out.update(statement=chal.statement, answer_format=manifest.answer_format, answer_help=chal.answer_help,
               variant=variant.number, variants=manifest.variants, commitment=manifest.commitment,
               baselines={k: v.model_dump() for k, v in manifest.baselines.items()},
               hints=[{"id": h.id, "cost": h.cost, "unlocked": h.id in unlocked,
                       "content": h.content if h.id in unlocked else None,
                       # participants learn of a hint's audit only when the admin published it over a flag
                       **({"audit": audit_out(h.audit)} if (h.audit or {}).get("published_anyway") else {})}
                      for h in hints],
               audit=audit_out(chal.audit) if chal.audit and chal.audit.get("status") == "done" else None,
               revealed=bool(event.revealed_at) and variant.revealed,
               bundle_url=f"/api/v1/challenges/{chal.slug}/bundle", problems=manifest.problems)
    if out["revealed"]:
        out["key_url"] = f"/api/v1/challenges/{chal.slug}/key?variant={variant.number}"
        out["verify_command"] = (f"interpctf verify {chal.slug}-bundle/ key.json   "
                                 f"# commitment {variant.commitment}")
    return out


def bundle_archive(state: ServerState, variant: Variant) -> Path:
    """The packed bundle of a variant, built once and kept next to the event's files."""
    cache = state.data_dir / "cache" / "bundles"
    out = cache / f"{variant.challenge_id}-{variant.number}-{variant.commitment[:16]}.tar.gz"
    if not out.exists():
        cache.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache, suffix=".part")
        os.close(fd)
        pack(state.data_dir / variant.bundle_path, Path(tmp))
        os.replace(tmp, out)
    return out


def unlock_hint(state: ServerState, session, user: User, hint_id: int) -> Hint:
    hint = session.get(Hint, hint_id)
    if hint is None or not hint.published:  # an unpublished hint (awaiting its audit) does not exist for them
        raise not_found(f"no hint {hint_id}")
    chal = session.get(Challenge, hint.challenge_id)
    if chal is None or chal.hidden:
        raise not_found(f"no hint {hint_id}")
    if user.team_id is None:
        raise forbidden("create or join a team first")
    if phase(state.event(session)) in ("upcoming", "ended"):
        raise forbidden("hints can be unlocked only while the event runs")
    result = session.execute(state.db.insert(HintUnlock).values(hint_id=hint.id, team_id=user.team_id,
                                                                user_id=user.id, created_at=utcnow())
                             .on_conflict_do_nothing().returning(HintUnlock.hint_id))
    # RETURNING, not rowcount: psycopg reports -1 for this INSERT, so hints were free on PostgreSQL
    if result.first() is not None and hint.cost:
        session.add(Award(team_id=user.team_id, user_id=user.id, value=-hint.cost,
                          reason=f"hint {hint.id} on {chal.slug}"))
        bump_board(session)
    return hint


def reveal(state: ServerState, session) -> dict:
    """Check every key against its commitment; publish those that match. Returns per-variant results."""
    event = state.event(session)
    if phase(event) != "ended":
        raise forbidden("keys can be revealed only after the event has ended")
    results = []
    for variant in session.scalars(select(Variant).order_by(Variant.challenge_id, Variant.number)):
        try:
            report = verify(state.data_dir / variant.bundle_path, state.data_dir / variant.key_path)
            problems = report.problems
        except InterpctfError as exc:
            problems = [one_line(exc)]
        variant.revealed = not problems
        variant.reveal_problems = "; ".join(problems)
        chal = session.get(Challenge, variant.challenge_id)
        results.append({"challenge": chal.slug, "variant": variant.number, "ok": not problems,
                        "problems": problems})
    event.revealed_at = utcnow()
    return {"revealed_at": event.revealed_at.isoformat() + "Z", "variants": results}


def revealed_key(state: ServerState, session, chal: Challenge, number: int) -> dict:
    event = state.event(session)
    variant = session.scalar(select(Variant).where(Variant.challenge_id == chal.id, Variant.number == number))
    if variant is None:
        raise not_found(f"{chal.slug!r} has no variant {number}")
    if not event.revealed_at or not variant.revealed:
        raise forbidden("the keys have not been revealed yet")
    return read_key(state.data_dir / variant.key_path).model_dump(mode="json")


def current_values(session, values: dict[int, ValueRule], attempts) -> dict[int, int]:
    return challenge_values(values, attempts)
