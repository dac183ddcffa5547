"""The two anchors of the normalized score: ``reference`` (the key's own answer, 1) and ``trivial`` (0)."""

from pathlib import Path

from interpctf.bundle import open_challenge
from interpctf.errors import InterpctfError
from interpctf.kinds import get_kind
from interpctf.schema import AnswerFile
from interpctf.solvers.budget import SolverBudget
from interpctf.solvers.entry import SolverEntry


def reference(bundle_dir: Path, budget: SolverBudget, key_path: Path) -> AnswerFile:
    """The truth written in the kind's answer format, as stored in the key: the top of the scale."""
    return open_challenge(bundle_dir, key_path).require_key().reference_answer.file()


def trivial(bundle_dir: Path, budget: SolverBudget) -> AnswerFile:
    """The kind's declared trivial baseline (e.g. a constant answer): the bottom of the scale."""
    challenge = open_challenge(bundle_dir)
    kind = get_kind(challenge.manifest.kind)
    if kind.trivial_baseline is None:
        raise InterpctfError(f"kind {kind.name} declares no trivial baseline (Kind.trivial_baseline)")
    return kind.baselines()[kind.trivial_baseline](challenge)


REFERENCE = SolverEntry("reference", None, "key", reference, "submits the key's reference answer")
TRIVIAL = SolverEntry("trivial", None, "black-box", trivial, "the kind's trivial baseline")
