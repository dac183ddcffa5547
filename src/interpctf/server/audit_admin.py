"""What the admin does around the audit: add a hint (unpublished until the admin publishes it), publish it, and
the rows the audit pages show. The audit itself runs in the background (:mod:`interpctf.server.audit_jobs`)."""

from sqlalchemy import select

from interpctf.audit import MAX_HINT_CHARS  # what the audit reads: a longer hint could not be audited
from interpctf.server.errors import ApiError, not_found
from interpctf.server.models import Challenge, Hint

MAX_HINT_COST = 1_000_000


def add_hint(s, challenge_slug: str, content: str, cost: int) -> Hint:
    """A new hint, unpublished; the caller starts its audit once the row is committed."""
    chal = s.scalars(select(Challenge).where(Challenge.slug == challenge_slug)).first()
    if chal is None:
        raise not_found(f"challenge: no challenge {challenge_slug!r}")
    if not content.strip():
        raise ApiError(422, "content: a hint needs some text")
    if len(content) > MAX_HINT_CHARS:
        raise ApiError(422, f"content: {len(content)} characters, over the {MAX_HINT_CHARS} the audit reads")
    if not 0 <= cost <= MAX_HINT_COST:
        raise ApiError(422, f"cost: must be between 0 and {MAX_HINT_COST}, not {cost}")
    hint = Hint(challenge_id=chal.id, content=content, cost=cost, published=False, audit={"status": "queued"})
    s.add(hint)
    s.flush()
    return hint


def publish_hint(s, hint_id: int, anyway: bool) -> Hint:
    """Publish a hint. A hint the audit flagged, or whose audit has not finished, needs ``anyway``: the
    admin's explicit "publish anyway" (the audit informs the call; it never makes it)."""
    hint = s.get(Hint, hint_id)
    if hint is None:
        raise not_found(f"no hint {hint_id}")
    audit = hint.audit or {}
    clear = audit.get("status") == "done" and not audit.get("flagged")
    if not clear and not anyway:
        why = "flagged by the audit" if audit.get("flagged") else f"its audit is {audit.get('status', 'missing')}"
        raise ApiError(409, f"hint {hint_id}: {why}; publish anyway (anyway=true) if you mean to")
    hint.published = True
    if not clear:
        hint.audit = {**audit, "published_anyway": True}
    return hint


def audit_out(audit: dict | None) -> dict:
    """An audit as the API and pages show it: status, flagged, the one-line verdict, who solves."""
    audit = audit or {"status": "none"}
    return {"status": audit.get("status", "none"), "flagged": bool(audit.get("flagged")),
            "line": audit.get("line") or audit.get("error", ""),
            "solved_by": audit.get("solved_by", []), "published_anyway": bool(audit.get("published_anyway"))}


def hint_rows(s) -> list[dict]:
    slugs = {c.id: c.slug for c in s.scalars(select(Challenge))}
    return [{"id": h.id, "challenge": slugs.get(h.challenge_id, "?"), "content": h.content, "cost": h.cost,
             "published": h.published, "audit": audit_out(h.audit)}
            for h in s.scalars(select(Hint).order_by(Hint.id))]


__all__ = ["add_hint", "audit_out", "hint_rows", "publish_hint"]
