"""Jam logistics as pure rules: the schedule's named phases (kick-off, hacking, submission deadline, judging
window, awards), local sites, team-size bounds, and which action each instant allows.

The 2022 interpretability hackathon's shape: 48 hours of hacking after a kick-off, a submission deadline, a
4-hour window in which every participant rates their assigned projects, then awards. All times are naive UTC.
"""

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PhaseKind = Literal["kickoff", "hacking", "submission", "judging", "awards", "other"]


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo is not None else value


class PhaseSpec(BaseModel):
    """One named phase; ``kind`` says what it governs: ``submission`` is the deadline (projects are accepted until
    it starts), ``judging`` the window in which reviews are accepted."""
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    kind: PhaseKind = "other"
    starts_at: datetime
    ends_at: datetime
    description: str = Field(default="", max_length=500)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _naive_utc(value)

    @model_validator(mode="after")
    def _order(self) -> "PhaseSpec":
        if self.ends_at < self.starts_at:
            raise ValueError(f"phase {self.name!r}: ends_at must not be before starts_at")
        return self


class SiteSpec(BaseModel):
    """A local, in-person site beside the online space."""
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=80)
    city: str = Field(default="", max_length=80)
    organizer: str = Field(default="", max_length=120)
    capacity: int = Field(default=0, ge=0)  # 0 = no limit


class Logistics(BaseModel):
    """The jam config's logistics fields (mixed into the server's JamConfig)."""
    model_config = ConfigDict(extra="forbid")
    team_min: int = Field(default=1, ge=1, le=100)
    team_max: int = Field(default=6, ge=1, le=100)
    judging: Literal["judges", "everyone"] = "judges"  # everyone: every registered participant judges
    registration_required: bool = False  # projects only from teams whose submitter registered
    schedule: list[PhaseSpec] = Field(default_factory=list)
    sites: list[SiteSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _logistics(self) -> "Logistics":
        if self.team_min > self.team_max:
            raise ValueError("team_min must not exceed team_max")
        names = [s.name.lower() for s in self.sites]
        if len(set(names)) != len(names):
            raise ValueError("site names must be unique")
        for kind in ("submission", "judging"):
            if sum(p.kind == kind for p in self.schedule) > 1:
                raise ValueError(f"the schedule may have at most one {kind!r} phase")
        return self


def phase_of(schedule: list[PhaseSpec], kind: str) -> PhaseSpec | None:
    return next((p for p in schedule if p.kind == kind), None)


def current_phase(schedule: list[PhaseSpec], now: datetime) -> PhaseSpec | None:
    """The phase running at ``now`` (the latest-starting one, if phases overlap)."""
    running = [p for p in schedule if p.starts_at <= now < p.ends_at]
    return max(running, key=lambda p: p.starts_at) if running else None


def submissions_open(schedule: list[PhaseSpec], now: datetime) -> bool:
    """Before the submission deadline (always, when the schedule names none; the event window still applies)."""
    deadline = phase_of(schedule, "submission")
    return deadline is None or now < deadline.starts_at


def judging_problem(schedule: list[PhaseSpec], now: datetime) -> str | None:
    """Why a review is refused at ``now``, or None: inside the judging window (any time, when there is none)."""
    window = phase_of(schedule, "judging")
    if window is None or window.starts_at <= now < window.ends_at:
        return None
    when = "has not opened yet" if now < window.starts_at else "has closed"
    return (f"the judging window ({window.starts_at.isoformat()}Z to {window.ends_at.isoformat()}Z) {when}; "
            f"reviews are accepted only inside it")


def team_size_problem(members: int, team_min: int, team_max: int) -> str | None:
    if members < team_min:
        return f"your team has {members} member(s); this jam needs at least {team_min} to submit"
    if members > team_max:
        return f"your team has {members} members; this jam allows at most {team_max}"
    return None


def site_problem(sites: list[SiteSpec], name: str, taken: int) -> str | None:
    """Why joining site ``name`` (with ``taken`` places already taken) is refused; ``""`` is the online space."""
    if not name:
        return None
    site = next((s for s in sites if s.name == name), None)
    if site is None:
        known = ", ".join(s.name for s in sites) or "none (join online)"
        return f"unknown site {name!r}; the sites are: {known}"
    if site.capacity and taken >= site.capacity:
        return f"site {name!r} is full ({site.capacity} places)"
    return None
