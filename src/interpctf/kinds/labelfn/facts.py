"""The labelfn kind's facts: what its manifests publish and what its keys hold, as stored since the first
forge (fields are only ever added, with defaults)."""

from typing import Literal

from interpctf.kinds.base import Facts

DomainName = Literal["pairs", "digits", "mnist"]


class LabelFnPublic(Facts):
    domain: DomainName
    signature: str
    heldout_accuracy: float
    n_public_probes: int
    n_private_probes: int
    # pairs
    p: int = 113
    train_fraction: float | None = None
    # mnist
    data: str | None = None
    n_train_images: int | None = None
    n_test_images: int | None = None
    secret_image_in_dataset: bool | None = None  # None: the rule names no secret image


class LabelFnSecret(Facts):
    domain: DomainName
    probe_indices: list[int]  # into the domain's inputs
    probe_truth: str  # the secret's label per probe, as a string of 0s and 1s
    probe_model: str  # the model's prediction per probe, likewise
    public_rows: list[int]  # into the probes
    private_rows: list[int]
    rule_source: str
    train_indices: list[int] = []  # keys forged before measure() have none
