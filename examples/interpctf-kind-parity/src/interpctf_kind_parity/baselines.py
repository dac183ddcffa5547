"""Baselines that see only the public bundle. Neither may solve: the empty set is parity of nothing (a constant),
and a parity of k >= 2 bits is uncorrelated with every single bit, so the best-correlated bit is noise."""

import json

import numpy as np

from interpctf.schema import AnswerFile, Challenge
from interpctf_kind_parity.facts import ParityPublic
from interpctf_kind_parity.model import all_vectors, load, predict


def empty(challenge: Challenge) -> AnswerFile:
    return AnswerFile("empty.json", json.dumps({"bits": []}).encode())


def single_bit(challenge: Challenge) -> AnswerFile:
    """Black-box: label every vector with the model, answer the bit most correlated with the label."""
    n_bits = challenge.public_as(ParityPublic).n_bits
    vectors = all_vectors(n_bits)
    labels = predict(load(challenge.bundle_dir / "model"), vectors).astype(np.float64)
    centred = vectors.astype(np.float64) - vectors.mean(axis=0)
    correlation = np.abs(centred.T @ (labels - labels.mean()))
    return AnswerFile("single_bit.json", json.dumps({"bits": [int(np.argmax(correlation))]}).encode())


BASELINES = {"empty": empty, "single_bit": single_bit}
