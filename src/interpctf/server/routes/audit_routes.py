"""The audit before publishing, for the admin: hints (add, see the audit, publish or publish anyway) and the
audit of a challenge, as pages (``/admin/hints``) and JSON (``/api/v1/admin/hints``). Admin role on every route;
the audit runs in the background and the pages show its state until it lands."""

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy import update

from interpctf.server import audit_admin, audit_jobs
from interpctf.server.errors import ApiError, not_found
from interpctf.server.models import Challenge
from interpctf.server.pages_common import render
from interpctf.server.routes.deps import ADMIN, ReadSession, RowId, State, WriteSession, see_other
from interpctf.server.schemas import HintIn

pages = APIRouter(prefix="/admin", include_in_schema=False, dependencies=ADMIN)
api = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=ADMIN)


def _new_hint(st, s, challenge: str, content: str, cost: int) -> int:
    hint_id = audit_admin.add_hint(s, challenge, content, cost).id
    s.commit()  # the audit's thread reads the row
    audit_jobs.start_hint_audit(st, hint_id)
    return hint_id


def _audit_challenge(st, s, chal_id: int) -> None:
    if s.get(Challenge, chal_id) is None:
        raise not_found(f"no challenge {chal_id}")
    audit_jobs.start_challenge_audit(st, chal_id)


def _publish_challenge(s, chal_id: int, anyway: bool) -> Challenge:
    """Show a hidden challenge; as for hints, a flagged or unaudited one needs the admin's "publish anyway"."""
    chal = s.get(Challenge, chal_id)
    if chal is None:
        raise not_found(f"no challenge {chal_id}")
    out = audit_admin.audit_out(chal.audit)
    if not anyway and (out["status"] != "done" or out["flagged"]):
        raise ApiError(409, f"challenge {chal.slug}: {'flagged by the audit' if out['flagged'] else 'not audited'};"
                            " publish anyway (anyway=true) if you mean to")
    s.execute(update(Challenge).where(Challenge.id == chal_id).values(hidden=False))
    if out["status"] != "done" or out["flagged"]:
        s.execute(update(Challenge).where(Challenge.id == chal_id)
                  .values(audit={**(chal.audit or {}), "published_anyway": True}))
    return chal


# ---- pages --------------------------------------------------------------------------------------------------
@pages.get("/hints")
def hints_page(request: Request, s: ReadSession):
    from interpctf.server.admin import challenge_rows
    return render(request, "admin/hints.html", {"rows": audit_admin.hint_rows(s),
                                                "challenges": [r["c"] for r in challenge_rows(s)]})


@pages.post("/hints")
def add_hint_form(st: State, s: WriteSession, challenge: str = Form(..., max_length=80),
                  content: str = Form(..., max_length=64_000), cost: int = Form(0)):
    _new_hint(st, s, challenge, content, cost)
    return see_other("/admin/hints")


@pages.post("/hints/{hint_id}/publish")
def publish_hint_form(hint_id: RowId, s: WriteSession, anyway: bool = Form(False)):
    audit_admin.publish_hint(s, hint_id, anyway)
    s.commit()
    return see_other("/admin/hints")


@pages.post("/challenges/{chal_id}/audit")
def audit_challenge_form(chal_id: RowId, st: State, s: ReadSession):
    _audit_challenge(st, s, chal_id)
    return see_other("/admin/challenges")


@pages.post("/challenges/{chal_id}/publish")
def publish_challenge_form(chal_id: RowId, st: State, s: WriteSession, anyway: bool = Form(False)):
    _publish_challenge(s, chal_id, anyway)
    s.commit()
    st.invalidate_board()
    return see_other("/admin/challenges")


# ---- JSON ---------------------------------------------------------------------------------------------------
@api.get("/hints")
def hints(s: ReadSession):
    return audit_admin.hint_rows(s)


@api.post("/hints", status_code=202)
def add_hint(body: HintIn, st: State, s: WriteSession):
    """Add a hint, unpublished; its audit starts now (poll ``GET /hints`` for the result)."""
    return {"id": _new_hint(st, s, body.challenge, body.content, body.cost), "published": False}


@api.post("/hints/{hint_id}/publish")
def publish_hint(hint_id: RowId, s: WriteSession, anyway: bool = Query(False)):
    hint = audit_admin.publish_hint(s, hint_id, anyway)
    return {"id": hint.id, "published": True, "audit": audit_admin.audit_out(hint.audit)}


@api.post("/challenges/{chal_id}/audit", status_code=202)
def audit_challenge(chal_id: RowId, st: State, s: ReadSession):
    _audit_challenge(st, s, chal_id)
    return {"id": chal_id, "audit": "running"}


@api.get("/challenges/{chal_id}/audit")
def challenge_audit(chal_id: RowId, s: ReadSession):
    chal = s.get(Challenge, chal_id)
    if chal is None:
        raise not_found(f"no challenge {chal_id}")
    return {"id": chal_id, "slug": chal.slug, "audit": audit_admin.audit_out(chal.audit), "full": chal.audit}


@api.post("/challenges/{chal_id}/publish")
def publish_challenge(chal_id: RowId, st: State, s: WriteSession, anyway: bool = Query(False)):
    chal = _publish_challenge(s, chal_id, anyway)
    s.commit()
    st.invalidate_board()
    return {"id": chal_id, "slug": chal.slug, "hidden": False}
