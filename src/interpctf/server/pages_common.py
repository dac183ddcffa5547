"""Jinja2 templates and the context every page gets (who is logged in, the event, the CSRF token)."""

import secrets
from datetime import datetime
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from interpctf.server.auth import CSRF_COOKIE, Auth, resolve
from interpctf.server.models import Event

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _when(t: datetime | str | None) -> str:
    if t is None:
        return "—"
    if isinstance(t, str):
        t = datetime.fromisoformat(t.rstrip("Z"))
    return t.strftime("%Y-%m-%d\u00a0%H:%M\u00a0UTC")  # no-break spaces: a time never wraps in a table cell


templates.env.filters["when"] = _when
templates.env.filters["pct"] = lambda x: "—" if x is None else f"{100 * float(x):.1f}%"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h\u00a0{minutes:02d}m" if hours else f"{minutes}m\u00a0{secs:02d}s"


templates.env.filters["duration"] = _duration


def render(request: Request, name: str, context: dict, status: int = 200, auth: Auth | None = None):
    """Render a page; sets the anonymous CSRF cookie when the visitor is not logged in."""
    state = request.app.state.ictf
    ctx = dict(context)
    event = ctx.get("event")
    auth = auth or getattr(request.state, "auth", None)  # set by the routes' guards (routes/deps.py)
    if auth is None or event is None:
        with state.db.read() as s:
            auth = auth or resolve(request, s)
            event = event or s.get(Event, 1)
    new_cookie = None
    if auth.via == "cookie":
        csrf = auth.csrf
    else:
        csrf = request.cookies.get(CSRF_COOKIE)
        if not csrf:
            csrf = new_cookie = secrets.token_urlsafe(24)
    ctx["event"] = event
    ctx.update(request=request, me=auth.user, csrf_token=csrf)
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    if new_cookie:
        response.set_cookie(CSRF_COOKIE, new_cookie, httponly=True, samesite="lax", path="/")
    return response


def render_error(request: Request, status: int, message: str):
    try:
        return render(request, "error.html", {"status": status, "message": message}, status=status)
    except Exception:  # the database may be the problem; fall back to plain text
        from fastapi.responses import PlainTextResponse
        return PlainTextResponse(f"{status}: {message}", status_code=status)
