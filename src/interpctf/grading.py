"""Grading an answer file against a challenge: parse (clear error on bad input), then the kind's grader."""

from interpctf.kinds import AnyKind, get_kind
from interpctf.schema import AnswerFile, BarCheck, Challenge, Grade


def grade_file(kind: AnyKind | None, answer: AnswerFile, challenge: Challenge) -> Grade:
    """Grade ``answer``; raises :class:`interpctf.errors.BadAnswer` if it cannot be parsed at all."""
    kind = kind or get_kind(challenge.manifest.kind)
    parsed = kind.parse_answer(answer, challenge)
    return kind.grade(parsed, challenge)


def check_plant(challenge: Challenge) -> dict[str, object]:
    """Grade the key's own reference answer (must be solved) and every baseline (should not be)."""
    kind = get_kind(challenge.manifest.kind)
    reference = grade_file(kind, challenge.require_key().reference_answer.file(), challenge)
    public_view = challenge.public_view()
    baselines = {name: grade_file(kind, solve(public_view), challenge) for name, solve in kind.baselines().items()}
    return {"reference": reference, "baselines": baselines}


def recheck_bars(challenge: Challenge) -> list[BarCheck]:
    """The key's quality bars against figures re-measured from the published model (``Kind.measure``); a figure
    the kind does not re-measure is the one recorded in the key. Empty for keys forged before bars."""
    key = challenge.require_key()
    quality = key.quality
    if quality is None:
        return []
    measured = get_kind(challenge.manifest.kind).measure(challenge)
    checks = []
    for bar in quality.bars:
        source = "measured" if bar.metric in measured else "recorded"
        figure = measured.get(bar.metric, key.metrics.get(bar.metric))
        checks.append(BarCheck(bar=bar, figure=figure, met=bar.met(figure), source=source))
    return checks
