"""EVENT.yaml: the event an organizer writes (title, window, freeze, mode, rules, challenges)."""

from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from interpctf.errors import InterpctfError, one_line
from interpctf.recipe import validation_message
from interpctf.rules import EventRules, ValueRule
from interpctf.server.modes import BountyConfig, JamConfig, LeagueConfig


class HintSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str = Field(min_length=1)
    cost: int = Field(default=0, ge=0)


class ChallengeSpec(BaseModel):
    """A challenge given as a recipe to forge, or as forge output (``bundle/`` + ``key.json``, or ``variants/``)."""

    model_config = ConfigDict(extra="forbid")
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")
    recipe: str | None = None
    forged: str | None = None
    category: str = ""
    value: ValueRule = Field(default_factory=ValueRule)
    max_attempts: int = Field(default=0, ge=0)
    hints: list[HintSpec] = Field(default_factory=list)
    hidden: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> "ChallengeSpec":
        if (self.recipe is None) == (self.forged is None):
            raise ValueError(f"challenge {self.slug!r}: give exactly one of 'recipe' or 'forged'")
        return self


class AccountSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    password: str = Field(min_length=8)
    role: Literal["admin", "participant", "judge", "rater"] = "admin"


class EventSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    starts_at: datetime
    ends_at: datetime
    freeze_at: datetime | None = None
    mode: Literal["team", "user", "league", "jam", "bounty"] = "team"
    team_size: int = Field(default=4, ge=1, le=100)
    rules: EventRules = Field(default_factory=EventRules)
    challenges: list[ChallengeSpec] = Field(default_factory=list)
    accounts: list[AccountSpec] = Field(default_factory=list)
    league: LeagueConfig | None = None  # rounds and scoring of a league (mode: league)
    jam: JamConfig | None = None  # criteria and assignment of a jam (mode: jam)
    bounty: BountyConfig | None = None

    @field_validator("starts_at", "ends_at", "freeze_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    @model_validator(mode="after")
    def _window(self) -> "EventSpec":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.freeze_at is not None and not (self.starts_at <= self.freeze_at <= self.ends_at):
            raise ValueError("freeze_at must lie inside the event window")
        if self.league is not None and any(r.propose_from < self.starts_at or r.solve_until > self.ends_at
                                           for r in self.league.rounds):
            raise ValueError("every league round must lie inside the event window (starts_at to ends_at)")
        if self.jam is not None and any(p.starts_at < self.starts_at or p.ends_at > self.ends_at
                                        for p in self.jam.schedule):
            raise ValueError("every jam phase must lie inside the event window (starts_at to ends_at)")
        slugs = [c.slug for c in self.challenges]
        if len(set(slugs)) != len(slugs):
            raise ValueError("challenge slugs must be unique")
        return self


def load_event_spec(path: Path) -> tuple[EventSpec, Path]:
    """The spec and the folder its relative paths are resolved against."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise InterpctfError(f"cannot read event file {path}: {one_line(exc)}") from None
    except yaml.YAMLError as exc:
        raise InterpctfError(f"{path} is not valid YAML: {one_line(exc)}") from None
    return parse_event_spec(data, str(path)), path.parent


def parse_event_spec(data, source: str = "event") -> EventSpec:
    if not isinstance(data, dict):
        raise InterpctfError(f"{source}: an event file is a YAML mapping with title, starts_at, ends_at, challenges")
    try:
        return EventSpec.model_validate(data)
    except ValidationError as exc:
        raise InterpctfError(validation_message(exc, source)) from None
