"""Grading an answer file against a challenge: parse (clear error on bad input), then the kind's grader."""

from interpctf.bars import BarCheck
from interpctf.grade import Grade
from interpctf.kinds import get_kind
from interpctf.kinds.base import AnswerFile, Challenge, Kind


def grade_file(kind: Kind | None, answer: AnswerFile, challenge: Challenge) -> Grade:
    """Grade ``answer``; raises :class:`interpctf.errors.BadAnswer` if it cannot be parsed at all."""
    kind = kind or get_kind(challenge.manifest.kind)
    parsed = kind.parse_answer(answer, challenge)
    return kind.grade(parsed, challenge)


def check_plant(challenge: Challenge) -> dict:
    """Grade the key's own reference answer (must be solved) and every baseline (should not be)."""
    kind = get_kind(challenge.manifest.kind)
    reference = grade_file(kind, challenge.key.reference_answer.file(), challenge)
    public_view = Challenge(bundle_dir=challenge.bundle_dir, manifest=challenge.manifest)
    baselines = {name: grade_file(kind, solve(public_view), challenge) for name, solve in kind.baselines().items()}
    return {"reference": reference, "baselines": baselines}


def recheck_bars(challenge: Challenge) -> list[BarCheck]:
    """The key's quality bars against figures re-measured from the published model (``Kind.measure``); a figure
    the kind does not re-measure is the one recorded in the key. Empty for keys forged before bars."""
    quality = challenge.key.quality
    if quality is None:
        return []
    measured = get_kind(challenge.manifest.kind).measure(challenge)
    checks = []
    for bar in quality.bars:
        source = "measured" if bar.metric in measured else "recorded"
        figure = measured.get(bar.metric, challenge.key.metrics.get(bar.metric))
        checks.append(BarCheck(bar=bar, figure=figure, met=bar.met(figure), source=source))
    return checks
