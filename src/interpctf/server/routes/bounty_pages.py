"""Bounty pages: writeups (submit, read), the prize ledger; admin: decide outcomes and award prizes."""

from fastapi import APIRouter, Form, Request

from interpctf.rules.bounty import OUTCOMES
from interpctf.server import bounty
from interpctf.server.challenges import visible_challenges
from interpctf.server.errors import not_found
from interpctf.server.markdown import render_markdown
from interpctf.server.pages_common import render
from interpctf.server.routes.deps import (ADMIN, MAX_ID, Admin, CsrfUser, OptionalUser, ReadSession, RowId, State,
                                          WriteSession, see_other)
from interpctf.server.state import phase

router = APIRouter(include_in_schema=False)
admin_router = APIRouter(prefix="/admin/bounty", include_in_schema=False, dependencies=ADMIN)


@router.get("/bounty")
def bounty_home(request: Request, user: OptionalUser, st: State, s: ReadSession):
    event = bounty.bounty_event(st, s)
    return render(request, "bounty/home.html", {
        "writeups": bounty.writeup_list(s, event, user), "ledger": bounty.ledger(s),
        "challenges": visible_challenges(s), "phase": phase(event)})


@router.post("/bounty/writeups")
def submit_form(user: CsrfUser, st: State, challenge: str = Form(""), title: str = Form(""), body: str = Form(""),
                links: str = Form("")):
    w = bounty.submit_writeup(st, user, challenge, title, body, links)
    return see_other(f"/bounty/writeups/{w.id}")


@router.get("/bounty/writeups/{writeup_id}")
def writeup_page(writeup_id: RowId, request: Request, user: OptionalUser, st: State, s: ReadSession):
    event = bounty.bounty_event(st, s)
    w = bounty.writeup_out(s, event, bounty.get_writeup(s, writeup_id), user)
    html = render_markdown(w["body"]) if "body" in w else None
    return render(request, "bounty/writeup.html", {"w": w, "body_html": html, "outcomes": OUTCOMES})


@admin_router.get("")
def admin_bounty(request: Request, admin: Admin, st: State, s: ReadSession):
    event = bounty.bounty_event(st, s)
    return render(request, "admin/bounty.html", {
        "writeups": bounty.writeup_list(s, event, admin), "ledger": bounty.ledger(s), "outcomes": OUTCOMES,
        "config": bounty.bounty_config(st, s)})


@admin_router.post("/writeups/{writeup_id}/decision")
def admin_decide(writeup_id: RowId, st: State, s: WriteSession, outcome: str = Form(""), note: str = Form("")):
    bounty.bounty_event(st, s)
    bounty.decide(s, writeup_id, outcome, note)
    return see_other("/admin/bounty")


@admin_router.post("/prizes")
def admin_prize(st: State, s: WriteSession, recipient: str = Form(""), amount: str = Form(""),
                donation: str = Form(""), note: str = Form(""), writeup_id: str = Form("")):
    wid = int(writeup_id) if writeup_id.strip().isdecimal() else None  # the form's field is optional
    if wid is not None and wid > MAX_ID:  # past what the database can store (SQLite would raise)
        raise not_found(f"no writeup {wid}")
    bounty.award_prize(s, bounty.bounty_config(st, s), recipient, amount, bool(donation), note, wid)
    return see_other("/admin/bounty")
