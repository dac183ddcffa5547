"""Bounty outcomes and the prize ledger: an organizer decides each writeup and pays prizes (to a team, or as a
donation in a team's name)."""

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["pending", "solved", "asterisk", "not_solved"]
OUTCOMES: dict[str, str] = {"pending": "awaiting a decision", "solved": "solved",
                            "asterisk": "solved, with an asterisk", "not_solved": "not solved"}


@dataclass(frozen=True)
class Prize:
    amount_cents: int
    currency: str
    recipient: str
    donation: bool


def ledger_totals(prizes: list[Prize]) -> dict[str, dict[str, int]]:
    """Per currency: total paid, paid to recipients, given as donations (all in cents)."""
    out: dict[str, dict[str, int]] = {}
    for p in prizes:
        row = out.setdefault(p.currency, {"total": 0, "paid": 0, "donated": 0})
        row["total"] += p.amount_cents
        row["donated" if p.donation else "paid"] += p.amount_cents
    return out


def format_amount(cents: int, currency: str) -> str:
    return f"{cents // 100:,}.{cents % 100:02d} {currency}"
