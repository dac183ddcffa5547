"""Storing a study's visualizations and answers: checks first, one row per accepted thing, nothing half-written.

Refusals are ``StudyRefused`` with an HTTP status and one line, for the routes to pass on.
"""

from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from interpctf.errors import BadAnswer
from interpctf.intake.png import check_visualizations
from interpctf.server.db import Database
from interpctf.server.study_models import StudyAnswer, StudyImage, StudySubmission

MAX_CODE_CHARS = 200_000


class StudyRefused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status


class AlreadyAnswered(StudyRefused):
    """The rater's answer to this question is in the database already (a 409): it counts once."""

    def __init__(self, question_id: str):
        super().__init__(409, f"question {question_id!r} is answered already; an answer counts once")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def save_submission(db: Database, challenge_id: int, team_id: int, user_id: int,
                    images: dict[str, dict[str, bytes]], code: str, trojans: set[str]) -> int:
    """``images``: trojan -> {file name: PNG bytes}. Every image is checked before anything is stored."""
    if len(code) > MAX_CODE_CHARS:
        raise StudyRefused(413, f"code: {len(code)} characters, over the {MAX_CODE_CHARS} allowed")
    unknown = sorted(set(images) - trojans)
    if unknown:
        raise StudyRefused(422, f"images: unknown trojan {unknown[0]!r}; one of {', '.join(sorted(trojans))}")
    try:
        sizes = {t: check_visualizations(files) for t, files in images.items()}
    except BadAnswer as exc:
        raise StudyRefused(422, str(exc)) from None
    with db.write() as s:
        sub = StudySubmission(challenge_id=challenge_id, team_id=team_id, user_id=user_id, code=code,
                              created_at=_now())
        s.add(sub)
        s.flush()
        for trojan, files in images.items():
            for name, data in files.items():
                info = sizes[trojan][name]
                s.add(StudyImage(submission_id=sub.id, trojan=trojan, name=name[:120], width=info.width,
                                 height=info.height, data=data))
        return sub.id


def record_answer(db: Database, rater_id: int, question_id: str, choice: int, assigned: set[str],
                  closed: bool, n_choices: int = 8) -> None:
    """Store one answer; refused when the study is closed, the question is not the rater's, the choice is out of
    range, or the rater answered it already (the unique constraint decides races)."""
    if closed:
        raise StudyRefused(409, "the study is closed; answers are no longer accepted")
    if question_id not in assigned:
        raise StudyRefused(403, f"question {question_id!r} is not assigned to you")
    if not 0 <= choice < n_choices:
        raise StudyRefused(422, f"choice: must be 0..{n_choices - 1}")
    try:
        with db.write() as s:
            s.add(StudyAnswer(rater_id=rater_id, question_id=question_id, choice=choice, created_at=_now()))
    except IntegrityError:
        raise AlreadyAnswered(question_id) from None


def answer_rows(db: Database) -> list[tuple[int, str, int]]:
    """(rater, question, choice) for rules.study.grade_study."""
    with db.read() as s:
        return session_answer_rows(s)


def session_answer_rows(s: Session) -> list[tuple[int, str, int]]:
    """``answer_rows`` in a route's own session (a route holding a connection must not ask for a second one)."""
    rows = s.execute(select(StudyAnswer.rater_id, StudyAnswer.question_id, StudyAnswer.choice)).all()
    return [(int(r), str(q), int(c)) for r, q, c in rows]


def answered_by(s: Session, rater_id: int) -> set[str]:
    """The questions this rater has answered (their queue's progress), in the route's session."""
    return set(s.scalars(select(StudyAnswer.question_id).where(StudyAnswer.rater_id == rater_id)))


def answer_count(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(StudyAnswer)) or 0)
