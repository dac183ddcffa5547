"""The study JSON API (``/api/v1/study``): a team's visualization submission, the rater's next question and
answer, results (JSON, CSV) and the reveal; admin: settings, open, close, a submission's code."""

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from interpctf.intake.png import MAX_BYTES
from interpctf.server import study, study_agents, study_pictures, study_rerun
from interpctf.server.errors import ApiError, forbidden
from interpctf.server.models import User
from interpctf.server.routes.deps import ADMIN, CsrfUser, CurrentUser, ReadSession, RowId, State

router = APIRouter(prefix="/api/v1/study", tags=["study"])
admin_router = APIRouter(prefix="/api/v1/admin/study", tags=["admin"], dependencies=ADMIN)
MAX_FILES = 200


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=120)
    choice: int


async def read_images(images: list[UploadFile], trojans: list[str]) -> dict[str, dict[str, bytes]]:
    """The i-th image belongs to the i-th trojan; each read capped one byte past the PNG limit, so an oversized
    file is refused by intake/png.py without being held whole."""
    if len(images) != len(trojans):
        raise ApiError(422, f"trojan: {len(trojans)} given for {len(images)} images; name one trojan per image")
    if len(images) > MAX_FILES:
        raise ApiError(422, f"images: {len(images)} files; at most {MAX_FILES} per submission")
    out: dict[str, dict[str, bytes]] = {}
    for i, (upload, trojan) in enumerate(zip(images, trojans)):
        name = (upload.filename or f"image{i}.png")[:120]
        files = out.setdefault(trojan, {})
        if name in files:
            name = f"{i}-{name}"[:120]
        files[name] = await upload.read(MAX_BYTES + 1)
    return out


def require_rater(user: User) -> User:
    if user.role not in ("rater", "admin"):
        raise forbidden("only accounts with the rater role answer study questions")
    return user


@router.post("/visualizations", status_code=201)
async def submit(user: CsrfUser, st: State, s: ReadSession, images: list[UploadFile] = File(...),
                 trojan: list[str] = Form(...), code: str = Form("")):
    """Your team's visualizations: PNG files ``images`` with the trojan each shows (``trojan``, one per image, in
    order) and the ``code`` that made them."""
    files = await read_images(images, trojan)
    return {"id": await run_in_threadpool(study.submit, st, s, user, files, code)}


@router.get("/next")
async def next_question(user: CurrentUser, st: State, s: ReadSession):
    """Your next assigned question (images and 8 candidates), and your progress."""
    rater = require_rater(user)
    # from memory on the event loop (no thread hop, no query); the database only for a rater not yet seen
    out = study.progress(st, None, rater)
    if out is None:
        out = await run_in_threadpool(study.progress, st, s, rater)
    return JSONResponse(study_pictures.with_pictures(st, out))  # plain JSON types already: no jsonable_encoder pass


@router.post("/answers", status_code=201)
def answer(body: AnswerIn, user: CsrfUser, st: State):
    study.answer(st, require_rater(user), body.question, body.choice)
    return {"question": body.question, "choice": body.choice}


@router.get("/pictures/{token}", response_class=Response)
def candidate_picture(token: str, user: CurrentUser, st: State):
    """A candidate trigger's picture (raters and admins); its name is a random token, never the trigger's."""
    return Response(study_pictures.picture(st, user, token[:64]), media_type="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})


@router.get("/images/{image_id}", response_class=Response)
def image(image_id: RowId, user: CurrentUser, s: ReadSession):
    return Response(study.image(s, user, image_id), media_type="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})


def _results_visible(st, user: User) -> None:
    if user.role != "admin" and study.load(st).status != "closed":
        raise forbidden("results are shown once the study is closed")


@router.get("/results")
def results(user: CurrentUser, st: State, s: ReadSession):
    _results_visible(st, user)
    return study.results_out(st, s)


@router.get("/results.csv", response_class=Response)
def results_csv(user: CurrentUser, st: State, s: ReadSession):
    _results_visible(st, user)
    return Response(study.csv_text(st, s), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="study-results.csv"'})


@router.get("/reveal")
def reveal(_user: CurrentUser, st: State):
    return study.reveal(st)


@admin_router.put("/settings")
def settings(body: study.StudySettings, st: State, s: ReadSession):
    return study.configure(st, s, body).model_dump()


@admin_router.post("/open")
def open_study(st: State, s: ReadSession):
    state = study_pictures.open_with_pictures(st, s)
    return {"status": state.status, "questions": len(state.questions),
            "assignment": {r: len(q) for r, q in state.assignment.items()}}


@admin_router.post("/close")
def close_study(st: State):
    return {"status": study.close_study(st).status}


@admin_router.get("/submissions/{submission_id}")
def submission(submission_id: RowId, s: ReadSession):
    row = study.submission_code(s, submission_id)
    return {"id": row.id, "team_id": row.team_id, "challenge_id": row.challenge_id, "code": row.code}


@admin_router.post("/submissions/{submission_id}/rerun", status_code=202)
def rerun(submission_id: RowId, st: State, s: ReadSession):
    """Re-run the submission's code in the sandbox against the public bundle; poll ``GET .../rerun``."""
    study.submission_code(s, submission_id)
    study_rerun.start(st, submission_id)
    return {"id": submission_id, "status": "running"}


@admin_router.get("/submissions/{submission_id}/rerun")
def rerun_result(submission_id: RowId, st: State, s: ReadSession):
    study.submission_code(s, submission_id)
    return study_rerun.result(st, submission_id) or {"status": "none"}


@admin_router.get("/agent-questions")
def agent_questions(st: State, s: ReadSession):
    """The questions for agent raters (interpctf.inspect.study_task): images and candidates, no answers."""
    return study_agents.export(st, s)


@admin_router.post("/agent-answers", status_code=201)
def agent_answers(body: study_agents.AgentAnswersIn, st: State):
    """An agent rater's choices, stored apart from the humans' answers (and graded apart)."""
    return {"model": body.model, "answers": study_agents.record(st, body)}
