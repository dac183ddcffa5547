"""Bounty pages: writeups (submit, read), the prize ledger; admin: decide outcomes and award prizes."""

from fastapi import APIRouter, Form, Request

from interpctf.rules.bounty import OUTCOMES
from interpctf.server import bounty
from interpctf.server.auth import check_csrf, require_role, resolve
from interpctf.server.challenges import visible_challenges
from interpctf.server.markdown import render_markdown
from interpctf.server.pages_common import render
from interpctf.server.routes.deps import get_state, see_other
from interpctf.server.routes.pages import _login_required
from interpctf.server.state import phase

router = APIRouter(include_in_schema=False)


@router.get("/bounty")
def bounty_home(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        event = bounty.bounty_event(st, s)
        auth = resolve(request, s)
        return render(request, "bounty/home.html", {
            "writeups": [bounty.writeup_out(s, event, w, auth.user) for w in bounty.writeups(s)],
            "ledger": bounty.ledger(s), "challenges": visible_challenges(s), "phase": phase(event)}, auth=auth)


@router.post("/bounty/writeups")
def submit_form(request: Request, challenge: str = Form(""), title: str = Form(""), body: str = Form(""),
                links: str = Form(""), csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.read() as s:
        auth = _login_required(request, s)
    check_csrf(request, auth, csrf_token)
    w = bounty.submit_writeup(st, auth.user, challenge, title, body, links)
    return see_other(f"/bounty/writeups/{w.id}")


@router.get("/bounty/writeups/{writeup_id}")
def writeup_page(writeup_id: int, request: Request):
    st = get_state(request)
    with st.db.read() as s:
        event = bounty.bounty_event(st, s)
        auth = resolve(request, s)
        w = bounty.writeup_out(s, event, bounty.get_writeup(s, writeup_id), auth.user)
        html = render_markdown(w["body"]) if "body" in w else None
        return render(request, "bounty/writeup.html", {"w": w, "body_html": html, "outcomes": OUTCOMES}, auth=auth)


@router.get("/admin/bounty")
def admin_bounty(request: Request):
    st = get_state(request)
    with st.db.read() as s:
        auth = resolve(request, s)
        require_role(auth, "admin")
        event = bounty.bounty_event(st, s)
        return render(request, "admin/bounty.html", {
            "writeups": [bounty.writeup_out(s, event, w, auth.user) for w in bounty.writeups(s)],
            "ledger": bounty.ledger(s), "outcomes": OUTCOMES, "config": bounty.bounty_config(st, s)}, auth=auth)


@router.post("/admin/bounty/writeups/{writeup_id}/decision")
def admin_decide(writeup_id: int, request: Request, outcome: str = Form(""), note: str = Form(""),
                 csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.write() as s:
        auth = resolve(request, s)
        require_role(auth, "admin")
        check_csrf(request, auth, csrf_token)
        bounty.bounty_event(st, s)
        bounty.decide(s, writeup_id, outcome, note)
    return see_other("/admin/bounty")


@router.post("/admin/bounty/prizes")
def admin_prize(request: Request, recipient: str = Form(""), amount: str = Form(""), donation: str = Form(""),
                note: str = Form(""), writeup_id: str = Form(""), csrf_token: str = Form("")):
    st = get_state(request)
    with st.db.write() as s:
        auth = resolve(request, s)
        require_role(auth, "admin")
        check_csrf(request, auth, csrf_token)
        wid = int(writeup_id) if writeup_id.strip().isdigit() else None
        bounty.award_prize(s, bounty.bounty_config(st, s), recipient, amount, bool(donation), note, wid)
    return see_other("/admin/bounty")
