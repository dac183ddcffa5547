"""The edit kind's facts: what its manifests publish and what its keys hold."""

from typing import Literal

from interpctf.kinds.base import Facts


class EditPublic(Facts):
    method: Literal["rome", "memit"]
    reveal: Literal["kb", "vocab"]  # kb: the world's facts are published; vocab: only its vocabulary
    n_edits: int
    n_subjects: int
    relations: list[str]
    world_file: str  # inside the bundle


class SecretEdit(Facts):
    subject: str
    relation: str
    new_object: str
    original_object: str


class EditSecret(Facts):
    edits: list[SecretEdit]
    layers: list[int]  # where the method wrote
