"""Tables of a human study (migration 0004): visualization submissions, their images, raters' answers.

An answer is unique per (rater, question): the database, not the request handler, is what makes an answer
count once, also when the same rater sends it twice at the same instant.
"""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from interpctf.server.models import Base


class StudySubmission(Base):
    __tablename__ = "study_submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    code: Mapped[str] = mapped_column(Text, default="")  # the code that made the images, shown to admins
    created_at: Mapped[datetime] = mapped_column(DateTime)


class StudyImage(Base):
    __tablename__ = "study_images"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("study_submissions.id"), index=True)
    trojan: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class StudyAnswer(Base):
    __tablename__ = "study_answers"
    __table_args__ = (UniqueConstraint("rater_id", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    question_id: Mapped[str] = mapped_column(String(120), index=True)
    choice: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
