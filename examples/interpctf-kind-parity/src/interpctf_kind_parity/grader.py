"""Parsing a ``bits`` answer (one-line errors) and grading it: the exact set, and how well its parity agrees
with the model on held-out probe vectors."""

import json

import numpy as np

from interpctf.errors import BadAnswer
from interpctf.schema import AnswerFile, Grade
from interpctf_kind_parity.facts import BitsAnswer, ParitySecret
from interpctf_kind_parity.model import all_vectors

MAX_ANSWER_BYTES = 64 * 1024
# Solved also needs the answer's parity to track the model (the bar holds the model to >= 0.98 held out, so the
# true subset always does); a wrong subset agrees with any parity of other bits on exactly half the vectors.
SOLVE_AGREEMENT = 0.9
HOW = 'answer a JSON file like {"bits": [0, 3, 5]}: the indices of the bits whose parity the model computes'


def parse_bits(answer: AnswerFile, n_bits: int) -> BitsAnswer:
    if len(answer.data) > MAX_ANSWER_BYTES:
        raise BadAnswer(f"the answer is {len(answer.data)} bytes, over {MAX_ANSWER_BYTES}; {HOW}")
    try:
        data = json.loads(answer.data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadAnswer(f"the answer is not JSON; {HOW}") from None
    if not isinstance(data, dict) or "bits" not in data:
        raise BadAnswer(f"the answer has no 'bits' list; {HOW}")
    if data.get("format", "bits") != "bits":
        raise BadAnswer(f"parity answers have format 'bits', not {data['format']!r}; {HOW}")
    bits = data["bits"]
    if not isinstance(bits, list) or not all(isinstance(b, int) and not isinstance(b, bool) for b in bits):
        raise BadAnswer(f"'bits' must be a list of integer bit indices; {HOW}")
    bad = [b for b in bits if not 0 <= b < n_bits]
    if bad:
        raise BadAnswer(f"bit index {bad[0]} is out of range: this model reads bits 0 to {n_bits - 1}")
    if len(set(bits)) != len(bits):
        raise BadAnswer("'bits' names a bit twice; list each bit of the subset once")
    return BitsAnswer(bits=sorted(bits))


def parity(vectors: np.ndarray, bits: list[int]) -> np.ndarray:
    return (vectors[:, bits].sum(axis=1) % 2).astype(np.uint8) if bits else np.zeros(len(vectors), np.uint8)


def grade_bits(answer: BitsAnswer, secret: ParitySecret, n_bits: int) -> Grade:
    probes = all_vectors(n_bits)[secret.probe_indices]
    model = np.frombuffer(secret.probe_model.encode(), dtype=np.uint8) - ord("0")
    agree = parity(probes, answer.bits) == model
    private = float(agree[secret.private_rows].mean())
    public = float(agree[secret.public_rows].mean())
    exact = set(answer.bits) == set(secret.bits)
    return Grade(score=private, solved=exact and private >= SOLVE_AGREEMENT, details={
        "public_score": round(public, 6), "public_solved": exact and public >= SOLVE_AGREEMENT,
        "exact_set": exact, "agreement_with_model": round(private, 6),
        "n_probes": len(secret.private_rows)})
