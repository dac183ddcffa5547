"""Bounty mode on the server: writeups against a challenge, the organizer's decision on each (solved, solved with
an asterisk and a note, not solved), prizes, and the public ledger."""

from sqlalchemy import select

from interpctf.rules.bounty import OUTCOMES, Prize, format_amount, ledger_totals
from interpctf.server.accounts import require_team
from interpctf.server.errors import bad_request, forbidden, not_found
from interpctf.server.jam import parse_links
from interpctf.server.models import BountyPrize, BountyWriteup, Challenge, Team, User, utcnow
from interpctf.server.modes import BountyConfig, load_config, require_mode
from interpctf.server.state import ServerState, phase
from interpctf.server.submissions import find_challenge


def bounty_event(state: ServerState, session):
    event = state.event(session)
    require_mode(event, "bounty")
    return event


def bounty_config(state: ServerState, session) -> BountyConfig:
    return load_config(session, bounty_event(state, session)).bounty


def submit_writeup(state: ServerState, user: User, slug: str, title: str, body: str, links: str) -> BountyWriteup:
    team_id = require_team(user)
    title = (title or "").strip()
    if not 1 <= len(title) <= 200:
        raise bad_request("the title must be 1-200 characters")
    if not (body or "").strip():
        raise bad_request("the writeup is empty; describe what you found and how")
    urls = parse_links(links)
    with state.db.write() as s:
        config = bounty_config(state, s)
        if len(body) > config.max_writeup_chars:
            raise bad_request(f"the writeup is over {config.max_writeup_chars} characters; link to the rest")
        if phase(state.event(s)) not in ("running", "frozen"):
            raise forbidden("writeups can be submitted only while the bounty is open")
        chal = find_challenge(s, slug)
        row = BountyWriteup(challenge_id=chal.id, team_id=team_id, user_id=user.id, title=title, body=body,
                            links=urls)
        s.add(row)
        s.flush()
        return row


def may_read(event, user: User | None, w: BountyWriteup) -> bool:
    """A writeup's text: its team and admins; everyone once the bounty has ended."""
    return phase(event) == "ended" or (user is not None and (user.role == "admin" or user.team_id == w.team_id))


def writeup_out(session, event, w: BountyWriteup, user: User | None) -> dict:
    team = session.get(Team, w.team_id)
    chal = session.get(Challenge, w.challenge_id)
    out = {"id": w.id, "challenge": chal.slug, "challenge_title": chal.title, "team": team.name if team else "?",
           "team_id": w.team_id, "title": w.title, "outcome": w.outcome, "outcome_label": OUTCOMES[w.outcome],
           "note": w.note, "created_at": w.created_at.isoformat() + "Z",
           "decided_at": w.decided_at.isoformat() + "Z" if w.decided_at else None, "url": f"/bounty/writeups/{w.id}"}
    if may_read(event, user, w):
        out.update(body=w.body, links=w.links)
    return out


def get_writeup(session, writeup_id: int) -> BountyWriteup:
    w = session.get(BountyWriteup, writeup_id)
    if w is None:
        raise not_found(f"no writeup {writeup_id}; see /api/v1/bounty/writeups")
    return w


def writeups(session) -> list[BountyWriteup]:
    return list(session.scalars(select(BountyWriteup).order_by(BountyWriteup.id.desc())))


def writeup_list(session, event, user: User | None) -> list[dict]:
    """Every writeup with its outcome, newest first (API and pages); the text as :func:`may_read` allows."""
    return [writeup_out(session, event, w, user) for w in writeups(session)]


def decide(session, writeup_id: int, outcome: str, note: str) -> BountyWriteup:
    if outcome not in OUTCOMES:
        raise bad_request(f"outcome must be one of: {', '.join(OUTCOMES)}")
    if outcome == "asterisk" and not (note or "").strip():
        raise bad_request("'solved with an asterisk' needs a note that says what the asterisk is")
    w = get_writeup(session, writeup_id)
    w.outcome, w.note = outcome, (note or "").strip()[:2000]
    w.decided_at = None if outcome == "pending" else utcnow()
    return w


def award_prize(session, config: BountyConfig, recipient: str, amount: str, donation: bool, note: str,
                writeup_id: int | None) -> BountyPrize:
    recipient = (recipient or "").strip()
    if not 1 <= len(recipient) <= 200:
        raise bad_request("name the recipient (a team, a person, or the charity of a donation)")
    cents = parse_amount(amount)
    if writeup_id is not None:
        get_writeup(session, writeup_id)
    prize = BountyPrize(writeup_id=writeup_id, recipient=recipient, donation=donation, amount_cents=cents,
                        currency=config.currency, note=(note or "").strip()[:300])
    session.add(prize)
    session.flush()
    return prize


def parse_amount(text: str) -> int:
    """``"1,250.50"`` -> 125050 cents; refuses negatives and more than two decimals."""
    raw = str(text or "").replace(",", "").strip()
    whole, _, frac = raw.partition(".")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        raise bad_request(f"{text!r} is not an amount; write e.g. 500 or 1250.50")
    cents = int(whole) * 100 + int(frac.ljust(2, "0") if frac else 0)
    if cents <= 0:
        raise bad_request("a prize must be more than zero")
    return cents


def ledger(session) -> dict:
    prizes = list(session.scalars(select(BountyPrize).order_by(BountyPrize.id)))
    totals = ledger_totals([Prize(p.amount_cents, p.currency, p.recipient, p.donation) for p in prizes])
    return {"prizes": [{"id": p.id, "recipient": p.recipient, "donation": p.donation,
                        "amount": format_amount(p.amount_cents, p.currency), "amount_cents": p.amount_cents,
                        "currency": p.currency, "note": p.note, "writeup_id": p.writeup_id,
                        "created_at": p.created_at.isoformat() + "Z"} for p in prizes],
            "totals": {cur: {k: format_amount(v, cur) for k, v in row.items()} for cur, row in totals.items()}}
