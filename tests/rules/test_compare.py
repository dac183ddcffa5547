"""The human-vs-agent statistics, computed directly."""

from datetime import datetime, timedelta

from interpctf.rules.compare import TaggedAttempt, compare_groups

T0 = datetime(2025, 1, 1, 12, 0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_group_statistics():
    attempts = [
        TaggedAttempt("agent", 1, 0.4, False, at(5)), TaggedAttempt("agent", 1, 1.0, True, at(9)),
        TaggedAttempt("agent", 1, 1.0, True, at(12)),  # after its first solve: counts as an attempt only
        TaggedAttempt("agent", 2, 1.0, True, at(30)),
        TaggedAttempt("human", 3, 0.7, False, at(2)),
    ]
    groups = compare_groups(attempts, T0)
    agent, human = groups["agent"], groups["human"]
    assert (agent.teams, agent.attempts, agent.solves, agent.best_score) == (2, 4, 2, 1.0)
    assert agent.first_solve_seconds == 9 * 60
    assert agent.mean_attempts_to_solve == (2 + 1) / 2
    assert (human.teams, human.attempts, human.solves, human.best_score) == (1, 1, 0, 0.7)
    assert human.first_solve_seconds is None and human.mean_attempts_to_solve is None


def test_empty_groups_are_reported():
    groups = compare_groups([], T0)
    assert set(groups) == {"human", "agent"}
    assert groups["agent"].attempts == 0 and groups["agent"].best_score is None
