"""Human studies as graded answers (the 2023 trojan-visualization competition): questions, rater assignment,
attention checks and the grade, as pure functions.

A submission holds visualizations per trojan. Each (submission, trojan) becomes an 8-way question: the true
trigger among 7 distractors drawn first from the other planted triggers, then from a distractor pool, in an order
shuffled from a seed. Raters answer; a submission's success rate is graded with a Wilson 95% interval and beats
the target (0.49 by default: the best published method's rate) only when the interval's lower bound is above it.
"""

import hashlib
import math
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from interpctf.rules.jam_assign import Judge, Project, assign_reviews

N_CANDIDATES = 8
DEFAULT_TARGET = 0.49
Z95 = 1.959963984540054
_QUALIFIED = re.compile(r"v(\d{1,4})/(.+)", re.S)


@dataclass(frozen=True)
class Question:
    id: str
    submission: int          # submission id (attention checks: -1)
    team: int | None         # the submitting team: its members never rate it
    trojan: str
    candidates: tuple[str, ...]
    answer: int              # index of the true trigger in ``candidates``
    attention: bool = False  # an obvious question: a rater who misses it is careless


def trojan_variant(trojan: str) -> tuple[int, str]:
    """A trojan id ``v<N>/<id>`` names a planted trigger of variant N (a challenge forged with variants: each team
    gets one, so the same ``<id>`` is a different trigger in each); a plain ``<id>`` is variant 0's."""
    match = _QUALIFIED.fullmatch(trojan)
    return (int(match[1]), match[2]) if match else (0, trojan)


def team_trojan(trojan: str, variant: int, triggers: Mapping[str, str]) -> str:
    """The study's id of the trojan a team given ``variant`` visualized as ``trojan``: its variant's own
    ``v<N>/<id>`` where the triggers name one, so the true trigger shown is the one that team's model holds.
    Raises ValueError when the triggers name variants but not this one (the question would show another model's
    trigger as the answer); triggers that name no variant keep plain ids (a challenge without variants)."""
    number, own = trojan_variant(trojan)
    if number or not variant:
        return trojan
    qualified = f"v{variant}/{own}"
    if qualified in triggers:
        return qualified
    if any(trojan_variant(t)[0] for t in triggers):
        raise ValueError(f"{qualified!r} is not among the triggers, but the team visualized variant {variant}")
    return trojan


def _rng(seed: int, *parts: object) -> random.Random:
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def candidates_for(trojan: str, triggers: Mapping[str, str], pool: Sequence[str], seed: int,
                   n: int = N_CANDIDATES) -> tuple[tuple[str, ...], int]:
    """The true trigger of ``trojan`` (``triggers``: trojan -> trigger id) and ``n - 1`` distractors: the other
    trojans' triggers first, then the pool; shuffled. Returns (candidates, index of the true one)."""
    true = triggers[trojan]
    rng = _rng(seed, "candidates", trojan)
    others = sorted({t for k, t in triggers.items() if k != trojan and t != true})
    rng.shuffle(others)
    rest = sorted({p for p in pool if p != true and p not in others})
    rng.shuffle(rest)
    distractors = (others + rest)[:n - 1]
    if len(distractors) < n - 1:
        raise ValueError(f"need {n - 1} distractors for {trojan!r}, have {len(distractors)}: enlarge the pool")
    shown = [true, *distractors]
    rng.shuffle(shown)
    return tuple(shown), shown.index(true)


def make_questions(submissions: Mapping[int, tuple[int | None, Iterable[str]]], triggers: Mapping[str, str],
                   pool: Sequence[str], seed: int, n: int = N_CANDIDATES) -> list[Question]:
    """One question per (submission, trojan it visualized); ``submissions``: id -> (team, trojans covered).
    The candidates of a trojan are the same for every submission, so submissions are compared fairly."""
    cache: dict[str, tuple[tuple[str, ...], int]] = {}
    out = []
    for sid in sorted(submissions):
        team, trojans = submissions[sid]
        for trojan in sorted(set(trojans)):
            if trojan not in cache:
                cache[trojan] = candidates_for(trojan, triggers, pool, seed, n)
            shown, right = cache[trojan]
            out.append(Question(f"s{sid}-{trojan}", sid, team, trojan, shown, right))
    return out


def attention_questions(triggers: Mapping[str, str], pool: Sequence[str], count: int, seed: int,
                        n: int = N_CANDIDATES) -> list[Question]:
    """``count`` obvious questions: the "visualization" is the true trigger's own picture."""
    trojans = sorted(triggers)
    rng = _rng(seed, "attention")
    picks = [trojans[i % len(trojans)] for i in range(count)]
    rng.shuffle(picks)
    out = []
    for i, trojan in enumerate(picks):
        shown, right = candidates_for(trojan, triggers, pool, seed + 1 + i, n)
        out.append(Question(f"attn{i}-{trojan}", -1, None, trojan, shown, right, attention=True))
    return out


def assign_raters(raters: Mapping[int, int | None], questions: Sequence[Question], k: int, seed: int,
                  attention: Sequence[Question] = ()) -> dict[int, list[str]]:
    """Rater id -> question ids: no rater sees their own team's submission, every question gets >= k raters
    whenever enough eligible raters exist, loads equal (the jam's flow assignment with a load of
    ceil(k * questions / raters)); every rater also gets all attention checks, spread through their queue."""
    if k < 1:
        raise ValueError("each question needs at least one rater (k >= 1)")
    if not raters:
        return {}
    index = {i: q for i, q in enumerate(questions)}
    load = math.ceil(k * len(questions) / len(raters)) if questions else 0
    judges = [Judge(rid, team) for rid, team in raters.items()]
    projects = [Project(i, q.team if q.team is not None else -1) for i, q in index.items()]
    picked = assign_reviews(judges, projects, max(load, 1), seed) if projects else {rid: [] for rid in raters}
    out: dict[int, list[str]] = {}
    for rid in raters:
        queue = [index[i].id for i in picked[rid]]
        rng = _rng(seed, "queue", rid)
        rng.shuffle(queue)
        for q in attention:
            queue.insert(rng.randint(0, len(queue)), q.id)
        out[rid] = queue
    return out


def careless_raters(answers: Iterable[tuple[int, str, int]], questions: Mapping[str, Question],
                    min_right: float = 1.0) -> set[int]:
    """Raters whose share of right attention answers is below ``min_right`` (default: they must get all)."""
    seen: dict[int, list[bool]] = {}
    for rater, qid, choice in answers:
        q = questions.get(qid)
        if q is not None and q.attention:
            seen.setdefault(rater, []).append(choice == q.answer)
    return {r for r, marks in seen.items() if sum(marks) < min_right * len(marks)}


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (0, 1) when there is no data."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    right: int
    n: int
    low: float
    high: float
    beats: bool

    @property
    def rate(self) -> float:
        return self.right / self.n if self.n else 0.0


def rate(right: int, n: int, target: float) -> Rate:
    low, high = wilson(right, n)
    return Rate(right, n, low, high, n > 0 and low > target)


@dataclass(frozen=True)
class SubmissionGrade:
    submission: int
    overall: Rate
    per_trojan: dict[str, Rate]


def grade_study(answers: Iterable[tuple[int, str, int]], questions: Sequence[Question],
                target: float = DEFAULT_TARGET, min_right: float = 1.0) -> dict[int, SubmissionGrade]:
    """Submission id -> its success rate (overall and per trojan). ``answers``: (rater, question id, choice),
    at most one per rater and question (the server enforces it); careless raters' answers are dropped and
    attention checks never count towards a submission."""
    answers = list(answers)
    by_id = {q.id: q for q in questions}
    dropped = careless_raters(answers, by_id, min_right)
    tally: dict[int, dict[str, list[int]]] = {}
    for q in questions:
        if not q.attention:
            tally.setdefault(q.submission, {}).setdefault(q.trojan, [0, 0])
    for rater, qid, choice in answers:
        q = by_id.get(qid)
        if q is None or q.attention or rater in dropped:
            continue
        cell = tally[q.submission][q.trojan]
        cell[0] += int(choice == q.answer)
        cell[1] += 1
    out = {}
    for sid, per in tally.items():
        right, n = sum(c[0] for c in per.values()), sum(c[1] for c in per.values())
        out[sid] = SubmissionGrade(sid, rate(right, n, target), {t: rate(c[0], c[1], target) for t, c in per.items()})
    return out


__all__ = ["N_CANDIDATES", "DEFAULT_TARGET", "Question", "candidates_for", "make_questions", "attention_questions",
           "assign_raters", "careless_raters", "wilson", "Rate", "rate", "SubmissionGrade", "grade_study"]
