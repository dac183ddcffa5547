"""Moving a jam's clock in tests: the event window and every phase of its schedule shift together."""

from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy import select, update

from interpctf.server.modes import load_config, save_config
from interpctf.server.models import Event, utcnow

JAM_2022 = Path(__file__).resolve().parents[2] / "recipes" / "events" / "jam-2022.yaml"


def jam_2022_spec() -> dict:
    return yaml.safe_load(JAM_2022.read_text())


def set_jam_clock(server, minutes_after_start: float) -> None:
    """Shift the event and its schedule so that now is ``minutes_after_start`` after the event starts
    (negative: before the start)."""
    with server.state.db.write() as s:
        event = s.scalar(select(Event))
        delta = (utcnow() - timedelta(minutes=minutes_after_start)) - event.starts_at
        config = load_config(s, event)
        for p in config.jam.schedule:
            p.starts_at, p.ends_at = p.starts_at + delta, p.ends_at + delta
        save_config(s, event, config)
        s.execute(update(Event).values(starts_at=event.starts_at + delta, ends_at=event.ends_at + delta,
                                       board_version=Event.board_version + 1))


def phase_minutes(spec: dict, kind: str) -> float:
    """Minutes from the event's start to the start of its phase of ``kind``."""
    start = spec["starts_at"]
    phase = next(p for p in spec["jam"]["schedule"] if p["kind"] == kind)
    return (phase["starts_at"] - start).total_seconds() / 60
