"""Jam logistics routes: the schedule (JSON and an iCal feed), participation with a site (register / cancel),
the ideas list and its upvotes; JSON under ``/api/v1/jam`` and the matching form posts and pages under ``/jam``."""

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from interpctf.server import jam, jam_logistics as logistics
from interpctf.server.jam_ical import schedule_calendar
from interpctf.server.pages_common import render
from interpctf.server.routes.deps import (CsrfUser, OptionalUser, ReadSession, RowId, State, WriteSession, only_in,
                                          see_other)

api = APIRouter(prefix="/api/v1/jam", tags=["jam"], dependencies=only_in("jam"))
pages = APIRouter(include_in_schema=False, dependencies=only_in("jam"))


class ParticipationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site: str = Field(default="", max_length=80)  # "" = online


class IdeaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=5000)


@api.get("/logistics")
def get_logistics(user: OptionalUser, st: State, s: ReadSession):
    """Team size bounds, who judges, the schedule (UTC), the sites with places taken, and your participation."""
    return logistics.overview(s, jam.jam_config(st, s), user)


@api.post("/participation", status_code=201)
def register(body: ParticipationIn, user: CsrfUser, st: State, s: WriteSession):
    """Register for the jam (or change site) until the submission deadline; ``site`` "" is the online space."""
    row = logistics.register(s, jam.jam_event(st, s), jam.jam_config(st, s), user, body.site)
    return {"site": row.site}


@api.delete("/participation")
def cancel(user: CsrfUser, st: State, s: WriteSession):
    """Cancel your participation; only before the jam starts."""
    logistics.cancel(s, jam.jam_event(st, s), user)
    return {"cancelled": True}


@api.get("/ideas")
def list_ideas(user: OptionalUser, s: ReadSession):
    return logistics.ideas(s, user)


@api.post("/ideas", status_code=201)
def add_idea(body: IdeaIn, user: CsrfUser, s: WriteSession):
    idea = logistics.add_idea(s, user, body.title, body.body)
    return {"id": idea.id, "title": idea.title}


@api.post("/ideas/{idea_id}/vote")
def vote(idea_id: RowId, user: CsrfUser, s: WriteSession):
    """Upvote an idea, once."""
    return {"id": idea_id, "votes": logistics.vote(s, user, idea_id)}


@pages.get("/jam/schedule.ics", response_class=Response)
def ical(request: Request, st: State, s: ReadSession):
    """The schedule as an iCalendar feed to subscribe to."""
    event = jam.jam_event(st, s)
    body = schedule_calendar(event.title, jam.jam_config(st, s).schedule, str(request.url_for("jam_home")))
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="jam-schedule.ics"'})


@pages.post("/jam/participate")
def participate_form(user: CsrfUser, st: State, s: WriteSession, site: str = Form("")):
    logistics.register(s, jam.jam_event(st, s), jam.jam_config(st, s), user, site)
    return see_other("/jam")


@pages.post("/jam/cancel")
def cancel_form(user: CsrfUser, st: State, s: WriteSession):
    logistics.cancel(s, jam.jam_event(st, s), user)
    return see_other("/jam")


@pages.get("/jam/ideas")
def ideas_page(request: Request, user: OptionalUser, s: ReadSession):
    return render(request, "jam/ideas.html", {"ideas": logistics.with_html(logistics.ideas(s, user))})


@pages.post("/jam/ideas")
def idea_form(user: CsrfUser, s: WriteSession, title: str = Form(""), body: str = Form("")):
    logistics.add_idea(s, user, title, body[:5001])
    return see_other("/jam/ideas")


@pages.post("/jam/ideas/{idea_id}/vote")
def vote_form(idea_id: RowId, user: CsrfUser, s: WriteSession):
    logistics.vote(s, user, idea_id)
    return see_other("/jam/ideas")
