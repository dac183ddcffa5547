"""What a route needs, as FastAPI dependencies, so each route's guard is in its signature:

- ``State``: the server state; ``ReadSession``/``WriteSession``: a database session for the route (a write session
  commits when the route returns, before the response is sent; both are closed then);
- ``OptionalUser``, ``CurrentUser``: who is asking (API token or session cookie), or 401;
- ``CsrfUser``: signed in, and for cookie sessions the CSRF token checked (form field ``csrf_token`` or header
  ``X-CSRF-Token``; API-token calls are exempt); ``CsrfChecked``: the same check for whoever asks, signed in or
  not (the login and registration forms: the anonymous double-submit cookie); ``SessionCsrf``: the check only
  when a cookie session asks (logout);
- ``Admin``: the admin role, and the CSRF check on state-changing methods; every admin router has it as a router
  dependency (``ADMIN``), so an admin route cannot be added without it.

The guards resolve the caller in the route's read session (a read route checks out one connection); on a
state-changing request that connection goes back to the pool as soon as the caller is known, before the route
writes, so a request never waits for a second connection while it holds one (which could starve the pool).
Opening sessions and the checks themselves run on the event loop; only database work goes to the thread pool.
``tests/server/test_route_guards.py`` checks every route of the app against these guards.
"""

from typing import Annotated, AsyncIterator

from fastapi import Depends, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from interpctf.schema import AnswerFile
from interpctf.server.auth import SESSION_COOKIE, Auth, check_csrf, require_role, require_user, resolve
from interpctf.server.errors import ApiError, bad_request
from interpctf.server.models import User
from interpctf.server.modes import require_mode
from interpctf.server.state import ServerState

# Ids and numbers in paths are INTEGER columns: 32 bits on PostgreSQL ("integer out of range" past 2^31 - 1),
# 64 on SQLite (OverflowError past 2^63 - 1). Bounded here to what both hold, a 422 instead of a 500.
MAX_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
VariantNo = Annotated[int, Query(ge=0, le=MAX_ID)]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_state(request: Request) -> ServerState:
    return request.app.state.ictf


async def _state(request: Request) -> ServerState:  # async: no thread hop on the scoreboard's hot path
    return get_state(request)


State = Annotated[ServerState, Depends(_state)]


async def _session(opened) -> AsyncIterator[Session]:
    """A session from ``Database.read()``/``write()``. Opening one does no I/O (the connection is checked out at
    the first query), so it happens on the event loop; closing it (a commit, a rollback, giving the connection
    back) runs in the thread pool, unless the session holds no connection any more."""
    s = opened.__enter__()
    try:
        yield s
    except BaseException as exc:
        if not await run_in_threadpool(opened.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        if s.in_transaction():
            await run_in_threadpool(opened.__exit__, None, None, None)
        else:
            opened.__exit__(None, None, None)


async def _db_slot(state: State) -> AsyncIterator[None]:
    """One admission per request (FastAPI resolves a dependency once per request, however many sessions use it),
    held until the request's sessions are closed. Without it, past the pool's size, requests holding a connection
    waited for a worker thread while every thread waited for a connection: all stalled until the pool's 30 s
    timeout (seen at 100 concurrent raters)."""
    async with state.db_slots:
        yield


DbSlot = Annotated[None, Depends(_db_slot, scope="function")]


async def _read_session(state: State, _slot: DbSlot) -> AsyncIterator[Session]:
    async for s in _session(state.db.read()):
        yield s


async def _write_session(state: State, _slot: DbSlot) -> AsyncIterator[Session]:
    async for s in _session(state.db.write()):
        yield s


# scope="function": closed when the route returns (a write session committed, or rolled back if it raised), not
# after the response is sent, so no connection is held while a file downloads and a reply means "stored".
ReadSession = Annotated[Session, Depends(_read_session, scope="function")]
WriteSession = Annotated[Session, Depends(_write_session, scope="function")]


def _resolve(request: Request, s: Session) -> Auth:
    try:
        return resolve(request, s)
    finally:
        if request.method not in SAFE_METHODS:
            s.close()  # give the connection back: a state-changing route writes in a session of its own


async def who_asks(request: Request, s: ReadSession) -> Auth:
    if request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE):
        auth = await run_in_threadpool(_resolve, request, s)
    else:
        auth = Auth(user=None)  # no credentials: nobody, without a query
    request.state.auth = auth  # the page renderer shows who is signed in without asking the database again
    return auth


Asking = Annotated[Auth, Depends(who_asks)]


async def optional_user(auth: Asking) -> User | None:
    return auth.user


def _signed_in(request: Request, auth: Auth) -> User:
    if auth.user is None and not auth.expired and not request.url.path.startswith("/api/"):
        raise ApiError(401, "log in first")  # a page: the API's hint about tokens means nothing in a browser
    return require_user(auth)


async def current_user(request: Request, auth: Asking) -> User:
    return _signed_in(request, auth)


async def sent_csrf_token(request: Request) -> str | None:
    """The ``csrf_token`` field of a form post; None for other bodies (``check_csrf`` then reads the header).
    Starlette keeps the parsed form, so a route that takes form fields parses the body once."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    value = (await request.form()).get("csrf_token")
    return value if isinstance(value, str) else None


SentCsrf = Annotated[str | None, Depends(sent_csrf_token)]


async def csrf_user(request: Request, auth: Asking, sent: SentCsrf) -> User:
    user = _signed_in(request, auth)
    check_csrf(request, auth, sent)
    return user


async def csrf_checked(request: Request, auth: Asking, sent: SentCsrf) -> Auth:
    check_csrf(request, auth, sent)
    return auth


async def session_csrf(request: Request, auth: Asking, sent: SentCsrf) -> Auth:
    """Logging out: the CSRF check when a live cookie session asks (so no other site can log you out); a caller
    without one has no session to protect, and an API token is not a session."""
    if auth.via == "cookie":
        check_csrf(request, auth, sent)
    return auth


async def require_admin(request: Request, auth: Asking, sent: SentCsrf) -> User:
    user = require_role(auth, "admin")
    if request.method not in SAFE_METHODS:
        check_csrf(request, auth, sent)
    return user


def only_in(mode: str) -> list:
    """The router dependency of a mode's routes (league, jam, bounty): 404 on an event of another mode, before
    anything else is checked. The event is read in a session of its own (closed at once), or from the state's
    short-lived cache."""
    def check_mode(st: State) -> None:
        def load():
            with st.db.read() as s:
                return st.event(s)
        require_mode(st.cached("event", load), mode)
    return [Depends(check_mode)]


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]
CsrfUser = Annotated[User, Depends(csrf_user)]
CsrfChecked = Annotated[Auth, Depends(csrf_checked)]
SessionCsrf = Annotated[Auth, Depends(session_csrf)]
Admin = Annotated[User, Depends(require_admin)]
ADMIN = [Depends(require_admin)]  # the router dependency of every admin router


def user_out(user: User) -> dict:
    return {"id": user.id, "name": user.name, "role": user.role, "account_type": user.account_type,
            "team_id": user.team_id}


def see_other(url: str) -> RedirectResponse:
    """The redirect after a form post (303, so the browser follows with GET)."""
    return RedirectResponse(url, status_code=303)


def form_answer(state: ServerState, file: UploadFile | None, text: str, filename: str) -> AnswerFile:
    """An answer from a submit form: the uploaded file (read up to one byte over the limit, so the size check
    can refuse it) or the pasted text."""
    if file is not None and file.filename:
        return AnswerFile(file.filename, file.file.read(state.settings.max_upload_bytes + 1))
    if text.strip():
        return AnswerFile(filename.strip() or "answer.py", text.encode())
    raise bad_request("choose an answer file or paste your answer")
