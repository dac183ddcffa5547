"""The bounty JSON API (``/api/v1/bounty``): writeups against challenges and the prize ledger; admin: outcomes
and prizes."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from interpctf.server import bounty
from interpctf.server.routes.deps import (ADMIN, MAX_ID, Admin, CsrfUser, OptionalUser, ReadSession, RowId, State,
                                          WriteSession)

router = APIRouter(prefix="/api/v1/bounty", tags=["bounty"])
admin_router = APIRouter(prefix="/api/v1/admin/bounty", tags=["admin"], dependencies=ADMIN)


class WriteupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    challenge: str = Field(max_length=80)
    title: str = Field(max_length=200)
    body: str = Field(description="markdown")
    links: list[str] = Field(default_factory=list, max_length=10)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["pending", "solved", "asterisk", "not_solved"]
    note: str = Field(default="", max_length=2000)


class PrizeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recipient: str = Field(max_length=200)
    amount: str = Field(max_length=20, description="e.g. 500 or 1250.50, in the bounty's currency")
    donation: bool = False
    note: str = Field(default="", max_length=300)
    writeup_id: int | None = Field(default=None, ge=1, le=MAX_ID)


@router.get("/writeups")
def list_writeups(user: OptionalUser, st: State, s: ReadSession):
    """Every writeup with its outcome; the text only for its own team and admins until the bounty ends."""
    return bounty.writeup_list(s, bounty.bounty_event(st, s), user)


@router.post("/writeups", status_code=201)
def submit(body: WriteupIn, user: CsrfUser, st: State, s: ReadSession):
    w = bounty.submit_writeup(st, user, body.challenge, body.title, body.body, "\n".join(body.links))
    return bounty.writeup_out(s, st.event(s), w, user)


@router.get("/writeups/{writeup_id}")
def writeup(writeup_id: RowId, user: OptionalUser, st: State, s: ReadSession):
    event = bounty.bounty_event(st, s)
    return bounty.writeup_out(s, event, bounty.get_writeup(s, writeup_id), user)


@router.get("/ledger")
def ledger(st: State, s: ReadSession):
    """Prizes paid (amounts, recipients, donations) and totals per currency. Public."""
    bounty.bounty_event(st, s)
    return bounty.ledger(s)


@admin_router.post("/writeups/{writeup_id}/decision")
def decide(writeup_id: RowId, body: DecisionIn, admin: Admin, st: State, s: WriteSession):
    """Mark a writeup solved, solved with an asterisk (a note is required), not solved, or pending again."""
    event = bounty.bounty_event(st, s)
    w = bounty.decide(s, writeup_id, body.outcome, body.note)
    return bounty.writeup_out(s, event, w, admin)


@admin_router.post("/prizes", status_code=201)
def prize(body: PrizeIn, st: State, s: WriteSession):
    p = bounty.award_prize(s, bounty.bounty_config(st, s), body.recipient, body.amount, body.donation, body.note,
                           body.writeup_id)
    return {"id": p.id, "recipient": p.recipient, "amount_cents": p.amount_cents, "currency": p.currency,
            "donation": p.donation}
