"""Pure scoring rules: no database, no clock. The server gathers facts and calls these.

- :mod:`interpctf.rules.ctf`: challenge values (static; CTFd's linear and parabolic dynamic decay).
- :mod:`interpctf.rules.standings`: a CTF scoreboard from solves, awards and hint costs, with partial credit,
  first-blood bonuses, freezing, and ties broken by the time the score was reached.
- :mod:`interpctf.rules.league`: Dixit-rules league scoring, standings per round and in total, collusion flags.
- :mod:`interpctf.rules.jam` and :mod:`interpctf.rules.jam_assign`: hackathon judging (weighted criteria,
  z-normalization, bootstrap intervals) and balanced, conflict-free review assignment.
- :mod:`interpctf.rules.bounty`: bounty outcomes and the prize ledger.
"""

from interpctf.rules.ctf import ValueRule, challenge_value, linear_value, parabolic_value
from interpctf.rules.standings import (Attempt, AwardItem, EventRules, Standing, compute_standings,
                                       score_series)

__all__ = ["ValueRule", "challenge_value", "linear_value", "parabolic_value", "Attempt", "AwardItem",
           "EventRules", "Standing", "compute_standings", "score_series"]
