"""Grading a labelfn program: run it in the sandbox on the probe inputs, compare with the secret's labels.

Texts an answer's run produces (exception messages, load errors) are never shown from the graded run: that run
holds the private probe inputs, and the answer decides what its messages say. When it reports an error, the
answer is run again on the public probes alone and the participant sees that run's messages, which can only
hold public inputs. Only the sandbox's own fixed texts (limits) are shown from the graded run.
"""

import re
from typing import TYPE_CHECKING

import numpy as np

from interpctf.kinds.labelfn.answer import ProgramAnswer
from interpctf.kinds.labelfn.domains import DOMAINS, Domain
from interpctf.kinds.labelfn.facts import LabelFnPublic
from interpctf.kinds.labelfn.probes import Probes
from interpctf.schema import Challenge, Grade

if TYPE_CHECKING:  # the sandbox package is imported only to grade: parsing answers never loads it
    from interpctf.sandbox.limits import Limits

SOLVE_BAR = 0.995


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b)) if len(a) else 0.0


def is_solved(score: float, model_agreement: float) -> bool:
    """Solved: near-perfect agreement, and strictly better than the model itself (so submitting it never wins)."""
    return score >= SOLVE_BAR and score > model_agreement


def grade_program(answer: ProgramAnswer, challenge: Challenge) -> Grade:
    probes = Probes.of(challenge)
    domain = DOMAINS[probes.domain]
    inputs = probes.inputs(domain, challenge.public_as(LabelFnPublic), challenge.key_dir)
    from interpctf.sandbox import map_function  # imported late: the sandbox starts processes

    run = map_function(answer.source, "label", inputs, unpack=domain.unpack)
    if run.failure:
        return Grade.failed(f"the answer failed: {_shown_failure(run.failure, answer, inputs, probes, domain)}",
                            n_probes=len(inputs))
    valid = (run.status == 0) & np.isin(run.values, (0, 1))
    given = np.where(valid, run.values, -1)  # invalid outputs never match a 0/1 label

    private, public = probes.private_rows, probes.public_rows
    score = agreement(given[private], probes.truth[private])
    public_score = agreement(given[public], probes.truth[public])
    model_private = agreement(probes.model[private], probes.truth[private])
    model_public = agreement(probes.model[public], probes.truth[public])
    details: dict[str, object] = {
        "public_score": round(public_score, 6),
        "public_solved": is_solved(public_score, model_public),
        "agreement_with_model": round(agreement(given[private], probes.model[private]), 6),
        "model_agreement_with_secret": round(model_private, 6),
        "n_probes": int(len(private)),
        "exceptions": int(run.n_exceptions),
        "bad_values": int(run.n_bad_values + np.sum((run.status == 0) & ~np.isin(run.values, (0, 1)))),
    }
    if run.first_error:
        details["first_error"] = _public_error(answer, inputs, probes, domain) or (
            "the answer raised or returned a non-integer only on private probes (their messages are withheld)")
    return Grade(score=score, solved=is_solved(score, model_private), details=details)


def _fixed_texts(limits: "Limits") -> set[str]:
    """What the sandbox reports in its own words: no answer output in these."""
    return {f"time limit exceeded ({limits.wall_seconds:g} s wall)",
            f"time limit exceeded ({limits.cpu_seconds:g} s CPU)",
            "memory limit exceeded", "output limit exceeded", "file size limit exceeded"}


def _public_error(answer: ProgramAnswer, inputs: np.ndarray, probes: Probes, domain: Domain) -> str | None:
    """The first error of a run over the public probes only, its input index relabelled as a public probe's."""
    from interpctf.sandbox import map_function

    run = map_function(answer.source, "label", inputs[probes.public_rows], unpack=domain.unpack)
    text = run.failure or run.first_error
    return _INPUT_INDEX.sub(r"(public probe \1)", text) if text else None


def _shown_failure(failure: str, answer: ProgramAnswer, inputs: np.ndarray, probes: Probes,
                   domain: Domain) -> str:
    from interpctf.sandbox import Limits

    if failure in _fixed_texts(Limits()):
        return failure
    return _public_error(answer, inputs, probes, domain) or \
        "it failed only with the private probes present (its messages are withheld)"


_INPUT_INDEX = re.compile(r"\(input (\d+)\)$")
