"""A human study run by the server: its settings and state, the rater's queue, answers, results.

The study's state (settings, draft/open/closed, the generated questions and the assignment) is one JSON file in
the data folder, replaced atomically (write, then rename) so a reader never sees half of it; only the admin
writes it. Answers live in the database (study_store), where the unique constraint counts each once.
"""

import os
import threading
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from interpctf.rules.study import (DEFAULT_TARGET, Question, assign_raters, attention_questions, grade_study,
                                   make_questions, team_trojan)
from interpctf.server import study_queue, study_store
from interpctf.server.errors import ApiError, bad_request, conflict, not_found
from interpctf.server.models import Challenge, User
from interpctf.server.state import ServerState, variant_for
from interpctf.server.study_models import StudyImage, StudySubmission
from interpctf.server.study_results import results_csv, reveal_rows

STATE_FILE = "study.json"
_LOCK = threading.Lock()  # one admin change at a time within a process


class StudySettings(BaseModel):
    """What the admin sets before teams submit: the challenge, its trojans' triggers (trojan -> a description
    shown as a candidate), the distractor pool, raters per question, the target, the seed, attention checks."""
    model_config = ConfigDict(extra="forbid")
    challenge: str = Field(min_length=1, max_length=80)
    triggers: dict[str, str] = Field(min_length=1, max_length=200)
    pool: list[str] = Field(default_factory=list, max_length=500)
    raters_per_question: int = Field(default=3, ge=1, le=50)
    target: float = Field(default=DEFAULT_TARGET, gt=0, lt=1)
    seed: int = 0
    attention_checks: int = Field(default=1, ge=0, le=20)


class StudyState(BaseModel):
    settings: StudySettings
    status: Literal["draft", "open", "closed"] = "draft"
    questions: list[dict] = Field(default_factory=list)
    assignment: dict[str, list[str]] = Field(default_factory=dict)  # rater id (as text) -> question ids


def _path(st: ServerState) -> Path:
    return st.data_dir / STATE_FILE


_CACHE: dict[Path, tuple[tuple[int, int], StudyState]] = {}
_INDEX: dict[Path, tuple[StudyState, study_queue.QueueIndex]] = {}  # built from the cached state it names


def _current(st: ServerState) -> StudyState:
    """The study's state, parsed once per version of the file (keyed by its mtime and size: every rater request
    reads it, and parsing hundreds of questions each time would dominate the rater page's latency). Shared:
    never changed in place."""
    path = _path(st)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise not_found("no study is set up on this event (an admin posts its settings first)") from None
    stamp = (info.st_mtime_ns, info.st_size)
    hit = _CACHE.get(path)
    if hit is None or hit[0] != stamp:
        hit = (stamp, StudyState.model_validate_json(path.read_text("utf-8")))
        _CACHE[path] = hit
    return hit[1]


def load(st: ServerState) -> StudyState:
    """The study's state; callers that change it work on this copy."""
    return _current(st).model_copy(deep=False)


def _save(st: ServerState, state: StudyState) -> None:
    path = _path(st)
    tmp = path.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")  # per process: two servers never share one
    tmp.write_text(state.model_dump_json(), "utf-8")
    os.replace(tmp, path)  # atomic: readers see the old state or the new one
    _CACHE.pop(path, None)  # file times are coarse (a few ms): never trust the stamp right after our own write


def questions(state: StudyState) -> list[Question]:
    return [Question(**{**q, "candidates": tuple(q["candidates"])}) for q in state.questions]


def configure(st: ServerState, s, settings: StudySettings) -> StudyState:
    if s.scalars(select(Challenge).where(Challenge.slug == settings.challenge)).first() is None:
        raise not_found(f"challenge: no challenge {settings.challenge!r}")
    with _LOCK:
        if _path(st).exists() and load(st).status != "draft":
            raise conflict("the study is open or closed already; its settings can no longer change")
        state = StudyState(settings=settings)
        _save(st, state)
    return state


def challenge_id(s, state: StudyState) -> int:
    row = s.scalars(select(Challenge.id).where(Challenge.slug == state.settings.challenge)).first()
    if row is None:
        raise not_found(f"challenge: no challenge {state.settings.challenge!r}")
    return int(row)


def submit(st: ServerState, s, user: User, images: dict[str, dict[str, bytes]], code: str) -> int:
    state = load(st)
    if state.status != "draft":
        raise conflict("the study has started; visualizations are no longer accepted")
    if user.team_id is None:
        raise bad_request("join or create a team first: a visualization is a team's submission")
    challenge = challenge_id(s, state)
    s.rollback()  # the read connection goes back before the write takes one: never two per request
    try:
        return study_store.save_submission(st.db, challenge, user.team_id, user.id, images, code,
                                           set(state.settings.triggers))
    except study_store.StudyRefused as exc:
        raise ApiError(exc.status, str(exc)) from None


def open_study(st: ServerState, s) -> StudyState:
    """Questions from every submission, attention checks, and the balanced, conflict-free assignment."""
    with _LOCK:
        state = load(st)
        if state.status != "draft":
            raise conflict(f"the study is {state.status} already")
        cfg = state.settings
        covered: dict[int, tuple[int | None, set[str]]] = {}
        rows = s.execute(select(StudySubmission.id, StudySubmission.team_id, StudyImage.trojan)
                         .join(StudyImage, StudyImage.submission_id == StudySubmission.id)).all()
        challenge = challenge_id(s, state)
        for sid, team, uploaded in rows:
            try:  # a team given another variant visualized that variant's trojan
                trojan = team_trojan(uploaded, variant_for(s, challenge, team).number, cfg.triggers)
            except ValueError as exc:
                raise conflict(f"triggers: {exc}") from None
            if trojan not in cfg.triggers:  # the settings changed since it was uploaded: no question to ask
                continue
            covered.setdefault(int(sid), (team, set()))[1].add(trojan)
        if not covered:
            raise conflict("no visualization has been submitted; nothing to ask raters")
        raters = {int(u.id): u.team_id for u in s.scalars(select(User).where(User.role == "rater"))}
        if not raters:
            raise conflict("no account has the rater role; add raters before opening the study")
        try:
            asked = make_questions(covered, cfg.triggers, cfg.pool, cfg.seed)
            checks = attention_questions(cfg.triggers, cfg.pool, cfg.attention_checks, cfg.seed)
        except ValueError as exc:
            raise ApiError(422, f"pool: {exc}") from None
        plan = assign_raters(raters, asked, cfg.raters_per_question, cfg.seed, checks)
        state.questions = [{**q.__dict__, "candidates": list(q.candidates)} for q in asked + checks]
        state.assignment = {str(r): qs for r, qs in plan.items()}
        state.status = "open"
        _save(st, state)
    return state


def close_study(st: ServerState) -> StudyState:
    with _LOCK:
        state = load(st)
        if state.status != "open":
            raise conflict(f"the study is {state.status}; only an open study can be closed")
        state.status = "closed"
        _save(st, state)
    return state


def progress(st: ServerState, s, user: User) -> dict | None:
    """The rater's queue: the next unanswered question (or None), and k of n answered, from memory
    (study_queue). With ``s`` None nothing is read from the database: None then means "ask again with a session".
    Every query runs in the route's session ``s``: a second connection per request would starve the pool."""
    state = _current(st)
    hit = _INDEX.get(_path(st))
    if hit is None or hit[0] is not state:
        if s is None:
            return None
        hit = (state, study_queue.build_index(s, state.status, state.questions, state.assignment))
        _INDEX[_path(st)] = hit
    done = study_queue.answered(st.db, user.id)
    if done is None:
        if s is None:
            return None
        done = study_queue.load_answered(st.db, s, user.id)
    return study_queue.next_view(hit[1], user.id, done)


def answer(st: ServerState, user: User, question_id: str, choice: int) -> None:
    state = _current(st)
    assigned = set(state.assignment.get(str(user.id), []))
    try:
        study_store.record_answer(st.db, user.id, question_id, choice, assigned, closed=state.status != "open")
    except study_store.AlreadyAnswered as exc:
        study_queue.note_answered(st.db, user.id, question_id)  # perhaps through another server process
        raise ApiError(exc.status, str(exc)) from None
    except study_store.StudyRefused as exc:
        raise ApiError(exc.status, str(exc)) from None
    study_queue.note_answered(st.db, user.id, question_id)


def results(st: ServerState, s) -> tuple[StudyState, dict]:
    state = load(st)
    grades = grade_study(study_store.session_answer_rows(s), questions(state), state.settings.target)
    return state, grades


def results_out(st: ServerState, s) -> dict:
    state, grades = results(st, s)
    teams = dict(s.execute(select(StudySubmission.id, StudySubmission.team_id)).all())

    def rate(r) -> dict:
        return {"right": r.right, "answers": r.n, "rate": r.rate, "low": r.low, "high": r.high, "beats": r.beats}
    return {"status": state.status, "target": state.settings.target,
            "submissions": [{"submission": sid, "team_id": teams.get(sid), "overall": rate(g.overall),
                             "per_trojan": {t: rate(r) for t, r in sorted(g.per_trojan.items())}}
                            for sid, g in sorted(grades.items())]}


def csv_text(st: ServerState, s) -> str:
    state, grades = results(st, s)
    return results_csv(grades, state.settings.target)


def reveal(st: ServerState) -> list[dict[str, object]]:
    state = load(st)
    if state.status != "closed":
        raise conflict("the reveal is shown once the study is closed")
    return reveal_rows(questions(state))


def image(s, user: User, image_id: int) -> bytes:
    """An image, for raters and admins (a rater needs any submission's images) and the submitting team."""
    row = s.get(StudyImage, image_id)
    team = s.get(StudySubmission, row.submission_id).team_id if row else None
    if row is None or (user.role not in ("rater", "admin") and user.team_id != team):
        raise not_found(f"no image {image_id}")
    return bytes(row.data)


def submission_code(s, submission_id: int) -> StudySubmission:
    row = s.get(StudySubmission, submission_id)
    if row is None:
        raise not_found(f"no visualization submission {submission_id}")
    return row
