"""The scoreboard: JSON, a CTFtime-style feed, and the score-over-time chart (SVG). Public, no login needed."""

import json
from typing import Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from interpctf.server.auth import resolve
from interpctf.server.chart import render_chart
from interpctf.server.models import utcnow
from interpctf.server.routes.deps import OptionalUser, ReadSession, State
from interpctf.server.schemas import BoardOut, CtftimeOut
from interpctf.server.scoreboard import board_bytes, board_bytes_fast, build_board, ctftime_feed, filter_board

router = APIRouter(tags=["scoreboard"])


def _board(st, request: Request) -> dict:
    with st.db.read() as s:
        return build_board(st, s, admin=_is_admin(request, s))


def _is_admin(request: Request, s) -> bool:
    """The async scoreboard route asks only when credentials were sent (its anonymous path never leaves the
    event loop, so it takes no session dependency)."""
    if not (request.headers.get("authorization") or request.cookies.get("ictf_session")):
        return False
    auth = resolve(request, s)
    return bool(auth.user and auth.user.role == "admin")


def _board_response(body: bytes, gzipped: bool) -> Response:
    headers = {"Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/json", headers=headers)


def _board_slow(st, request: Request, gzipped: bool) -> bytes:
    with st.db.read() as s:
        return board_bytes(st, s, admin=_is_admin(request, s), gzipped=gzipped)


AccountFilter = Literal["human", "agent", "mixed"]


@router.get("/api/v1/scoreboard", response_model=BoardOut)
async def scoreboard(request: Request, st: State, accounts: AccountFilter | None = Query(default=None)):
    """Standings (public probe split while the event runs, private split after it ends; frozen after the freeze
    time for everyone but admins), challenge values and solve counts, and the top teams' score series.
    ``accounts`` keeps only teams of human, agent or mixed accounts, ranked among themselves."""
    if accounts is not None:
        board = await run_in_threadpool(_board, st, request)
        return Response(json.dumps(filter_board(board, accounts)), media_type="application/json",
                        headers={"Cache-Control": "no-cache"})
    gzipped = "gzip" in request.headers.get("accept-encoding", "")
    anonymous = not (request.headers.get("authorization") or request.cookies.get("ictf_session"))
    if anonymous:  # the hot path: served from memory on the event loop
        body = board_bytes_fast(st, False, gzipped)
        if body is not None:
            return _board_response(body, gzipped)
    return _board_response(await run_in_threadpool(_board_slow, st, request, gzipped), gzipped)


def _admin(user) -> bool:
    return user is not None and user.role == "admin"


@router.get("/api/v1/scoreboard/ctftime", response_model=CtftimeOut)
def ctftime(user: OptionalUser, st: State, s: ReadSession):
    """CTFtime-style feed: ``{"standings": [{"pos", "team", "score"}]}``."""
    return ctftime_feed(build_board(st, s, admin=_admin(user)))


@router.get("/scoreboard/chart.svg", response_class=Response)
def chart(user: OptionalUser, st: State, s: ReadSession, accounts: AccountFilter | None = Query(default=None)):
    board = filter_board(build_board(st, s, admin=_admin(user)), accounts)
    event = st.event(s)
    return Response(render_chart(board, event.starts_at, event.ends_at, utcnow()), media_type="image/svg+xml",
                    headers={"Cache-Control": "no-cache"})
