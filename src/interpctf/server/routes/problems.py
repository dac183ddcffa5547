"""The open-problems catalogue on the server: ``/problems`` (a page, filterable by category) and
``/api/v1/problems`` (JSON), public like the scoreboard."""

from fastapi import APIRouter, Query, Request

from interpctf.server.pages_common import render
from interpctf.server.problems import problems_view
from interpctf.server.routes.deps import OptionalUser, ReadSession, State

router = APIRouter()


def _admin(user) -> bool:
    return user is not None and user.role == "admin"


@router.get("/api/v1/problems", tags=["problems"])
def problems_api(user: OptionalUser, st: State, s: ReadSession,
                 category: str | None = Query(None, max_length=80, pattern=r"^[a-z0-9-]+$")):
    """Catalogue entries with their linked challenges and lab tasks, and their status in this event."""
    return problems_view(st, s, category, _admin(user))


@router.get("/problems", include_in_schema=False)
def problems_page(request: Request, user: OptionalUser, st: State, s: ReadSession,
                  category: str | None = Query(None, max_length=80, pattern=r"^[a-z0-9-]+$")):
    return render(request, "problems.html", {"v": problems_view(st, s, category or None, _admin(user))})
