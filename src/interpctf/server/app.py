"""The FastAPI application: routes, error handling (a one-line reason, never a 500 for a user's mistake), the
upload size limit, templates, static files, and the in-process grading worker."""

import logging
import re
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from sqlalchemy import exc as sa_exc
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from interpctf.errors import InterpctfError, one_line
from interpctf.server.config import Settings
from interpctf.server.db import Database, migrate
from interpctf.server.errors import ApiError
from interpctf.server.headers import SecurityHeaders
from interpctf.server.pages_common import render_error
from interpctf.server.state import ServerState

log = logging.getLogger("interpctf.server")
HERE = Path(__file__).parent


# Challenge bundles proposed to a league are model files: they get their own, larger limit.
BUNDLE_UPLOAD_PATHS = re.compile(r"^(/api/v1/league/rounds/[^/]+/proposals|/league/rounds/[^/]+/propose)$")


class BodyLimit:
    """Refuse request bodies over the limit (413) before they are read into memory or spooled to disk."""

    def __init__(self, app, limit: int, bundle_limit: int = 0):
        self.app, self.default_limit, self.bundle_limit = app, limit, max(limit, bundle_limit)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.bundle_limit if BUNDLE_UPLOAD_PATHS.match(scope.get("path", "")) else self.default_limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = f"request body over the {limit}-byte upload limit"
        if declared is not None:
            try:
                if int(declared) > limit:
                    return await _send_error(scope, send, 413, too_big)
            except ValueError:
                return await _send_error(scope, send, 400, "malformed Content-Length header")
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise ApiError(413, too_big)
            return message

        return await self.app(scope, limited, send)


async def _send_error(scope, send, status: int, message: str):
    import json
    body = json.dumps({"detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "text/html")


def _error(request: Request, status: int, message: str, headers=None):
    if _wants_html(request):
        return render_error(request, status, message)
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _resume_league_proposals(state: ServerState) -> None:
    """The process that grades also owns background forging: it picks up proposals a restart cut off."""
    from interpctf.server import league_jobs
    from interpctf.server.models import Event

    with state.db.read() as s:
        event = s.get(Event, 1)
        league = event is not None and event.mode == "league"
    if league:
        league_jobs.resume_interrupted(state)


def create_app(settings: Settings | None = None, migrate_db: bool = True) -> FastAPI:
    settings = settings or Settings.from_env()
    url = settings.url()
    if migrate_db:
        migrate(url)
    state = ServerState(settings=settings, db=Database(url))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.run_worker:
            from interpctf.server.grading_queue import GradingWorker
            state.worker = GradingWorker(settings, state.db)
            state.worker.on_change = state.invalidate_board
            state.worker.start()
            _resume_league_proposals(state)
        try:
            yield
        finally:
            if state.worker is not None:
                state.worker.stop(wait=False)
                state.worker = None
            if state.board_refresher is not None:
                state.board_refresher.stop()
            state.db.dispose()

    app = FastAPI(title="interpctf", version="1", lifespan=lifespan,
                  description="Interpretability CTF server: challenges, graded submissions, scoreboard, reveal.")
    app.state.ictf = state

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return _error(request, exc.status, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such page or route: {request.url.path}"
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        return _error(request, exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body",)) or "request"
        return _error(request, 422, f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(InterpctfError)
    async def _ictf_error(request: Request, exc: InterpctfError):
        return _error(request, 400, one_line(exc))

    @app.exception_handler(sa_exc.OperationalError)
    @app.exception_handler(sa_exc.InterfaceError)
    @app.exception_handler(sa_exc.TimeoutError)
    async def _database_unavailable(request: Request, exc: Exception):
        # The database is down, restarting or saturated: a client should retry, not report a bug.
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, one_line(exc))
        return _error(request, 503, "the database is unavailable right now; try again in a few seconds",
                      headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(request, 500, "internal server error; the administrators have the details in the log")

    from interpctf.server.routes import admin_api, admin_pages, api, board, lab_compare, pages, problems
    for module in (api, board, admin_api, pages, admin_pages, problems, lab_compare):
        app.include_router(module.router)
    from interpctf.server.routes import study_api, study_pages
    for study_router in (study_api.router, study_api.admin_router, study_pages.router, study_pages.admin_router):
        app.include_router(study_router)
    from interpctf.server.routes import audit_routes
    app.include_router(audit_routes.pages)
    app.include_router(audit_routes.api)
    from interpctf.server.routes import MODE_ROUTERS
    for mode_router in MODE_ROUTERS():
        app.include_router(mode_router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + 64 * 1024,
                       bundle_limit=settings.max_bundle_bytes + 64 * 1024)
    app.add_middleware(SecurityHeaders)  # added last: outermost, so the 413s above carry the headers too
    return app
