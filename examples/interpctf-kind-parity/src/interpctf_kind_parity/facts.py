"""What a parity manifest publishes, what its key holds, and the one answer format, ``bits``."""

from typing import Literal

from pydantic import Field

from interpctf.kinds.base import Answer, Facts


class ParityPublic(Facts):
    n_bits: int
    heldout_accuracy: float
    n_train: int
    n_public_probes: int
    n_private_probes: int


class ParitySecret(Facts):
    bits: list[int]  # the secret subset, sorted
    train_indices: list[int]  # into all 2**n_bits vectors (vector i has bit j = (i >> j) & 1)
    probe_indices: list[int]  # held-out vectors the grader compares answers on
    probe_model: str  # the model's label per probe, as a string of 0s and 1s
    public_rows: list[int]  # into the probes
    private_rows: list[int]


class BitsAnswer(Answer):
    format: Literal["bits"] = "bits"
    bits: list[int] = Field(max_length=64)


# One format: the kind's answer union (discriminated by ``format``) is where another would join.
ParityAnswer = BitsAnswer
