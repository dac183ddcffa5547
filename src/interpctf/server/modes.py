"""The non-CTF event modes (league, jam, bounty): their configuration, kept in ``mode_settings`` so admins can edit
it, and the guard that keeps each mode's routes to events of that mode."""

from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from interpctf.rules.jam import JamRules
from interpctf.rules.jam_schedule import Logistics
from interpctf.rules.league import LeagueRules
from interpctf.sandbox.forge_profile import ForgeBudget
from interpctf.server.errors import not_found
from interpctf.server.league_caps import RecipeCaps
from interpctf.server.models import ModeSettings

MODES = ("team", "user", "league", "jam", "bounty")


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo is not None else value


class RoundSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(default="", max_length=200)
    propose_from: datetime
    propose_until: datetime
    solve_until: datetime

    @field_validator("propose_from", "propose_until", "solve_until")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _naive_utc(value)

    @model_validator(mode="after")
    def _order(self) -> "RoundSpec":
        if not self.propose_from < self.propose_until < self.solve_until:
            raise ValueError("a round needs propose_from < propose_until < solve_until")
        return self


class LeagueConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: LeagueRules = Field(default_factory=LeagueRules)
    rounds: list[RoundSpec] = Field(default_factory=list)
    max_recipe_bytes: int = Field(default=64 * 1024, ge=1024)
    max_attempts: int = Field(default=10, ge=0)  # per team and challenge; 0 = no cap
    forge: ForgeBudget = Field(default_factory=ForgeBudget)  # each proposal's forge or plant-check job
    recipe_caps: RecipeCaps = Field(default_factory=RecipeCaps)  # checked before a recipe is forged


class JamConfig(JamRules, Logistics):
    """Judging rules, logistics (team sizes, schedule, sites, who judges) and the writeup limit."""
    max_writeup_bytes: int = Field(default=1 << 20, ge=1024)


class BountyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3,8}$")
    max_writeup_chars: int = Field(default=100_000, ge=1000)


class ModeConfig(BaseModel):
    """What EVENT.yaml may say under ``league:``, ``jam:`` or ``bounty:``."""
    model_config = ConfigDict(extra="forbid")
    league: LeagueConfig = Field(default_factory=LeagueConfig)
    jam: JamConfig = Field(default_factory=JamConfig)
    bounty: BountyConfig = Field(default_factory=BountyConfig)


def load_config(session, event) -> ModeConfig:
    row = session.get(ModeSettings, event.id)
    return ModeConfig.model_validate(row.config if row is not None else {})


def save_config(session, event, config: ModeConfig) -> None:
    row = session.get(ModeSettings, event.id)
    if row is None:
        session.add(ModeSettings(event_id=event.id, config=config.model_dump(mode="json")))
    else:
        row.config = config.model_dump(mode="json")


def require_mode(event, mode: str) -> None:
    if event.mode != mode:
        raise not_found(f"this event is not a {mode} (its mode is {event.mode!r})")


def plays_in_teams(event) -> bool:
    """Every mode but ``user`` has teams that people create and join."""
    return event.mode != "user"
