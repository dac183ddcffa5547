"""SQLAlchemy models. Every datetime is naive UTC (SQLite has no time zones; PostgreSQL stores the same)."""

from datetime import datetime, timezone

from sqlalchemy import (JSON, Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text,
                        UniqueConstraint, Index)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    freeze_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    mode: Mapped[str] = mapped_column(String(10), default="team")  # "team" or "user"
    team_size: Mapped[int] = mapped_column(Integer, default=4)
    rules: Mapped[dict] = mapped_column(JSON, default=dict)  # interpctf.rules.EventRules as JSON
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    board_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped whenever standings may change


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    invite_code: Mapped[str] = mapped_column(String(40), unique=True)
    solo: Mapped[bool] = mapped_column(Boolean, default=False)  # the implicit team of a user in user mode
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12), default="participant")  # admin, participant, judge
    account_type: Mapped[str] = mapped_column(String(8), default="human")  # human or agent
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class WebSession(Base):
    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(80), default="cli")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Challenge(Base):
    __tablename__ = "challenges"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(80), default="")
    statement: Mapped[str] = mapped_column(Text, default="")
    answer_help: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[dict] = mapped_column(JSON, default=dict)  # interpctf.rules.ValueRule as JSON
    max_attempts: Mapped[int] = mapped_column(Integer, default=0)  # 0 = no cap
    position: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    # the last streetlight audit (interpctf.server.audit_jobs): {"status": "running" | "done" | "failed", ...}
    audit: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class Variant(Base):
    """One forged variant of a challenge: its bundle and key on disk (relative to the data folder)."""
    __tablename__ = "variants"
    __table_args__ = (UniqueConstraint("challenge_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=0)
    bundle_path: Mapped[str] = mapped_column(String(500))
    key_path: Mapped[str] = mapped_column(String(500))
    commitment: Mapped[str] = mapped_column(String(64))
    revealed: Mapped[bool] = mapped_column(Boolean, default=False)
    reveal_problems: Mapped[str] = mapped_column(Text, default="")


class Hint(Base):
    __tablename__ = "hints"
    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    cost: Mapped[int] = mapped_column(Integer, default=0)
    # participants see a hint only once published; an admin's new hint waits for its audit and the admin's click
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    audit: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class HintUnlock(Base):
    __tablename__ = "hint_unlocks"
    __table_args__ = (UniqueConstraint("hint_id", "team_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hint_id: Mapped[int] = mapped_column(ForeignKey("hints.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Award(Base):
    """Points given or taken by hand, or by a hint unlock (a negative award)."""
    __tablename__ = "awards"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    value: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Submission(Base):
    """An accepted answer. ``status``: queued -> grading -> graded (or failed if the grader itself broke)."""
    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_status", "status"),
                      Index("ix_submissions_team_challenge", "team_id", "challenge_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    variant: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    graded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    grade_count: Mapped[int] = mapped_column(Integer, default=0)  # times a grade was stored (1 unless re-graded)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # private split
    solved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    public_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    public_solved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class AttemptCounter(Base):
    """Accepted attempts per team and challenge, raised by an atomic conditional UPDATE (caps hold under races)."""
    __tablename__ = "attempt_counters"
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class RateBucket(Base):
    """A fixed-window counter, e.g. key ``sub:<user>`` for the current minute."""
    __tablename__ = "rate_buckets"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Worker(Base):
    """A grading worker's heartbeat: submissions claimed by a worker whose heartbeat is stale are re-queued."""
    __tablename__ = "workers"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# ---- league, jam and bounty modes (migration 0002) -----------------------------------------------------------
class ModeSettings(Base):
    """The mode's configuration (interpctf.server.modes.ModeConfig as JSON), editable by admins."""
    __tablename__ = "mode_settings"
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), primary_key=True)
    config: Mapped[dict] = mapped_column(JSON, default=dict)


class LeagueRound(Base):
    """Teams propose during [propose_from, propose_until), everyone else solves during [propose_until,
    solve_until); after that the round is scored and its keys revealed."""
    __tablename__ = "league_rounds"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    propose_from: Mapped[datetime] = mapped_column(DateTime)
    propose_until: Mapped[datetime] = mapped_column(DateTime)
    solve_until: Mapped[datetime] = mapped_column(DateTime)
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class LeagueProposal(Base):
    """A team's challenge for a round. ``status``: forging -> checking -> ready (plant holds; awaiting the
    proposer's confirmation) -> published; or refused (the plant check failed) / failed (forging broke)."""
    __tablename__ = "league_proposals"
    __table_args__ = (UniqueConstraint("round_id", "team_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("league_rounds.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(10))  # recipe or bundle
    status: Mapped[str] = mapped_column(String(12), default="forging")
    folder: Mapped[str] = mapped_column(String(500), default="")  # forge output, relative to the data folder
    title: Mapped[str] = mapped_column(String(200), default="")
    progress: Mapped[dict] = mapped_column(JSON, default=dict)  # {"step", "done", "total"} while forging
    check: Mapped[dict] = mapped_column(JSON, default=dict)  # plant check: reference and baseline grades
    error: Mapped[str] = mapped_column(Text, default="")
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("challenges.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class JamProject(Base):
    __tablename__ = "jam_projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    abstract: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list] = mapped_column(JSON, default=list)
    writeup_path: Mapped[str] = mapped_column(String(500), default="")  # relative to the data folder
    writeup_type: Mapped[str] = mapped_column(String(8), default="")  # md or pdf
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class JamAssignment(Base):
    __tablename__ = "jam_assignments"
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("jam_projects.id"), primary_key=True)


class JamReview(Base):
    __tablename__ = "jam_reviews"
    __table_args__ = (UniqueConstraint("project_id", "judge_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("jam_projects.id"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    scores: Mapped[dict] = mapped_column(JSON, default=dict)  # criterion name -> rating
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class JamParticipant(Base):
    """A registered participant of the jam and the site they picked ("" = online); cancelling deletes the row."""
    __tablename__ = "jam_participants"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    site: Mapped[str] = mapped_column(String(80), default="")
    registered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class JamIdea(Base):
    """An entry of the jam's ideas list (markdown, rendered by the sanitising renderer)."""
    __tablename__ = "jam_ideas"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class JamIdeaVote(Base):
    """One upvote per participant and idea (the primary key holds it under concurrent clicks)."""
    __tablename__ = "jam_idea_votes"
    idea_id: Mapped[int] = mapped_column(ForeignKey("jam_ideas.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class BountyWriteup(Base):
    """A writeup against a challenge; ``outcome``: pending, solved, asterisk (solved, with a note), not_solved."""
    __tablename__ = "bounty_writeups"
    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # markdown
    links: Mapped[list] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(12), default="pending")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class BountyPrize(Base):
    __tablename__ = "bounty_prizes"
    id: Mapped[int] = mapped_column(primary_key=True)
    writeup_id: Mapped[int | None] = mapped_column(ForeignKey("bounty_writeups.id"), nullable=True)
    recipient: Mapped[str] = mapped_column(String(200))
    donation: Mapped[bool] = mapped_column(Boolean, default=False)  # given to a charity in the recipient's name
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(8), default="USD")
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
