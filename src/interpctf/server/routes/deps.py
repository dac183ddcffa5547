"""Small helpers shared by the route modules."""

from fastapi import Request, UploadFile
from fastapi.responses import RedirectResponse

from interpctf.kinds.base import AnswerFile
from interpctf.server.auth import check_csrf, require_user, resolve
from interpctf.server.errors import bad_request
from interpctf.server.models import User
from interpctf.server.state import ServerState


def get_state(request: Request) -> ServerState:
    return request.app.state.ictf


def user_out(user: User) -> dict:
    return {"id": user.id, "name": user.name, "role": user.role, "account_type": user.account_type,
            "team_id": user.team_id}


def see_other(url: str) -> RedirectResponse:
    """The redirect after a form post (303, so the browser follows with GET)."""
    return RedirectResponse(url, status_code=303)


def api_user(request: Request, s, write: bool = False) -> User:
    """The signed-in user of an API call; ``write`` also checks the CSRF token (cookie sessions)."""
    auth = resolve(request, s)
    user = require_user(auth)
    if write:
        check_csrf(request, auth, None)
    return user


def form_answer(state: ServerState, file: UploadFile | None, text: str, filename: str) -> AnswerFile:
    """An answer from a submit form: the uploaded file (read up to one byte over the limit, so the size check
    can refuse it) or the pasted text."""
    if file is not None and file.filename:
        return AnswerFile(file.filename, file.file.read(state.settings.max_upload_bytes + 1))
    if text.strip():
        return AnswerFile(filename.strip() or "answer.py", text.encode())
    raise bad_request("choose an answer file or paste your answer")
