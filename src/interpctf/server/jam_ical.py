"""The jam's schedule as an iCalendar feed (RFC 5545), built with the ``icalendar`` package: one event per
phase, times in UTC, stable UIDs so a subscribed calendar updates phases instead of duplicating them."""

import hashlib
from datetime import timezone

from icalendar import Calendar, Event

from interpctf.rules.jam_schedule import PhaseSpec


def schedule_calendar(title: str, phases: list[PhaseSpec], url: str = "") -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//interpctf//jam schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", title)
    for p in phases:
        item = Event()
        uid = hashlib.sha256(f"{title}\0{p.name}".encode()).hexdigest()[:24]
        item.add("uid", f"{uid}@interpctf")
        item.add("summary", f"{title}: {p.name}")
        item.add("dtstart", p.starts_at.replace(tzinfo=timezone.utc))
        item.add("dtend", p.ends_at.replace(tzinfo=timezone.utc))
        item.add("dtstamp", p.starts_at.replace(tzinfo=timezone.utc))
        item.add("categories", [p.kind])
        if p.description:
            item.add("description", p.description)
        if url:
            item.add("url", url)
        cal.add_component(item)
    return cal.to_ical()
