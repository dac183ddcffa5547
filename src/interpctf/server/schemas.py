"""Pydantic schemas at the API boundary."""

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(_In):
    name: str = Field(max_length=40)
    password: str = Field(max_length=256)
    account_type: Literal["human", "agent"] = "human"


class LoginIn(_In):
    name: str = Field(max_length=40)
    password: str = Field(max_length=256)


class TokenIn(LoginIn):
    label: str = Field(default="cli", max_length=80)


class TeamIn(_In):
    name: str = Field(max_length=40)


class JoinIn(_In):
    invite_code: str = Field(max_length=40)


class AnswerIn(_In):
    """An answer sent as JSON: a file name (its extension tells the format) and its text content."""
    filename: str = Field(default="answer.py", min_length=1, max_length=200)
    content: str


class AwardIn(_In):
    team_id: int = Field(ge=1, le=2**31 - 1)  # an INTEGER id: 32 bits on PostgreSQL
    value: int = Field(ge=-100000, le=100000)
    reason: str = Field(default="", max_length=200)


class HintIn(_In):
    """An admin's new hint: published only after its audit, by the admin (interpctf.server.audit_admin)."""
    challenge: str = Field(max_length=80)
    content: str = Field(max_length=64_000)
    cost: int = Field(default=0, ge=0, le=1_000_000)


class RoleIn(_In):
    role: Literal["admin", "participant", "judge", "rater"]


class UserOut(BaseModel):
    id: int
    name: str
    role: str
    account_type: str
    team_id: int | None


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str


class TokenOut(BaseModel):
    token: str
    user: UserOut


class TeamOut(BaseModel):
    id: int
    name: str
    members: list[str]
    invite_code: str | None = None


class SubmissionOut(BaseModel):
    id: int
    challenge: str
    status: str
    filename: str
    created_at: str
    graded_at: str | None
    public_score: float | None
    public_solved: bool | None
    details: dict
    account_type: str | None = None  # the submitter's account: human or agent
    score: float | None = None
    solved: bool | None = None


class StandingOut(BaseModel):
    pos: int
    team: str
    team_id: int
    score: int
    solves: int
    accounts: str
    reached_at: str | None


class BoardOut(BaseModel):
    event: str
    phase: str
    split: str
    frozen_at: str | None
    accounts: Literal["human", "agent", "mixed"] | None = None  # the filter applied, if any
    standings: list[StandingOut]
    challenges: list[dict]
    series: list[dict]


class GroupOut(BaseModel):
    teams: int
    attempts: int
    best_score: float | None
    solves: int
    first_solve_seconds: float | None
    mean_attempts_to_solve: float | None


class CompareOut(BaseModel):
    challenge: str
    title: str
    phase: str
    split: str
    frozen_at: str | None
    event_start: str | None
    groups: dict[Literal["human", "agent"], GroupOut]


class CtftimeStanding(BaseModel):
    pos: int
    team: str
    score: int


class CtftimeOut(BaseModel):
    standings: list[CtftimeStanding]


class RoundIn(_In):
    """A new league round; times in UTC (an offset is converted)."""
    title: str = Field(default="", max_length=200)
    propose_from: datetime
    propose_until: datetime
    solve_until: datetime

    @model_validator(mode="after")
    def _order(self) -> "RoundIn":
        for name in ("propose_from", "propose_until", "solve_until"):
            value = getattr(self, name)
            if value.tzinfo is not None:
                setattr(self, name, value.astimezone(timezone.utc).replace(tzinfo=None))
        if not self.propose_from < self.propose_until < self.solve_until:
            raise ValueError("a round needs propose_from < propose_until < solve_until")
        return self
