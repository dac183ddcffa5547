"""The platform's data: what is published (Manifest), what stays secret (Key), what grading returns (Grade), the
calibration record, and a forged challenge as a kind sees it (Challenge).

A leaf: it imports nothing from interpctf but the two pure leaves it re-exports (:mod:`interpctf.bars`,
:mod:`interpctf.canonical`), so every other module (bundle, kinds, forge, server) builds on it without a cycle.
``Manifest.public`` and ``Key.secret`` stay plain JSON objects, because a key's commitment is the hash of its
canonical JSON and must not change when a kind's models do; kinds read them through typed views
(:meth:`Challenge.public_as`, :meth:`Challenge.secret_as`).
"""

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from interpctf.bars import (Attempt, Bar, BarCheck, BarError, QualityRecord, QualitySummary, check_bars, evaluate,
                            failure_message, max_bar, min_bar, tighten)
from interpctf.canonical import canonical_json, sha256_hex

COMMITMENT_SCHEME = "sha256(canonical_json(key))"

JsonObject = dict[str, JsonValue]
BaselineAccess = Literal["black-box", "white-box"]
Facts = TypeVar("Facts", bound=BaseModel)


class BaselineResult(BaseModel):
    score: float
    solved: bool


class CalibrationRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    access: BaselineAccess
    score: float
    solved: bool
    error: str | None = None  # the baseline crashed: recorded, and it counts as not solving


class Calibration(BaseModel):
    """Which baselines and solvers solve a fresh challenge (public split), black-box vs white-box."""

    model_config = ConfigDict(extra="forbid")

    split: Literal["public"] = "public"
    black_box_solvable: bool
    white_box_solvable: bool
    solved_by: dict[BaselineAccess, list[str]] = Field(default_factory=dict)
    runs: dict[str, CalibrationRun] = Field(default_factory=dict)


class Manifest(BaseModel):
    """``challenge.json``: everything public about one challenge variant."""

    model_config = ConfigDict(extra="forbid")

    id: str
    challenge: str
    variant: int = 0
    variants: int = 1
    kind: str
    title: str
    statement: str
    answer_format: str
    answer_help: str
    public: JsonObject = Field(default_factory=dict)  # the kind's public facts (read through Challenge.public_as)
    commitment: str
    commitment_scheme: str = COMMITMENT_SCHEME
    baselines: dict[str, BaselineResult] = Field(default_factory=dict)
    calibration: Calibration | None = None  # set by ``forge --calibrate``; outside the key, like the baselines
    quality: QualitySummary | None = None  # the quality bars and the kept model's figures (forged since bars)
    interpctf_version: str
    # catalogue entries the recipe instantiates; left out when empty so manifests forged before keep their bytes
    problems: list[str] = Field(default_factory=list, exclude_if=lambda value: not value)


@dataclass
class AnswerFile:
    """An answer as it travels: the bytes a solver uploads and the file name they came with."""

    filename: str
    data: bytes


class ReferenceAnswer(BaseModel):
    filename: str
    data_b64: str

    @classmethod
    def of(cls, answer: AnswerFile) -> "ReferenceAnswer":
        return cls(filename=answer.filename, data_b64=base64.b64encode(answer.data).decode())

    def file(self) -> AnswerFile:
        return AnswerFile(self.filename, base64.b64decode(self.data_b64))


class Key(BaseModel):
    """``key.json``: the secret. Revealed after an event; anyone can then check it against the commitment."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: str
    salt: str
    secret: JsonObject  # the kind's secret facts (read through Challenge.secret_as)
    reference_answer: ReferenceAnswer
    metrics: dict[str, float] = Field(default_factory=dict)
    bundle_files: dict[str, str]
    key_files: dict[str, str] = Field(default_factory=dict)
    # Bars and every forging attempt. Keys forged before bars have none: left out of every dump while absent, so
    # such keys serialize, and hash, to the same bytes as when they were committed.
    quality: QualityRecord | None = Field(default=None, exclude_if=lambda value: value is None)

    def commitment(self) -> str:
        return sha256_hex(canonical_json(self.model_dump(mode="json")))


class Grade(BaseModel):
    """``score`` in [0, 1] on the private probe split (the final standings), ``solved`` by the kind's bar.

    ``details`` is public: it holds ``public_score`` and ``public_solved`` (what an event shows while it runs,
    computed on the public split so probing the grader cannot overfit the private one) plus kind-specific
    figures. It never holds key material.
    """

    model_config = ConfigDict(extra="forbid")

    score: float = Field(ge=0.0, le=1.0)
    solved: bool
    # Any, not JsonValue: graders put numpy scalars here, which serialize as numbers but do not validate as JSON
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def public_score(self) -> float:
        return float(self.details.get("public_score", self.score))

    @property
    def public_solved(self) -> bool:
        return bool(self.details.get("public_solved", self.solved))

    @classmethod
    def failed(cls, reason: str, **details: Any) -> "Grade":
        """A zero grade for an answer that could not run (it is reported, never raised)."""
        return cls(score=0.0, solved=False,
                   details={"error": reason, "public_score": 0.0, "public_solved": False, **details})


class NoKey(ValueError):
    """A secret was asked of a challenge opened without its key (a solver's view)."""


@dataclass
class Challenge:
    """A forged challenge as a kind sees it: the public bundle and, for grading, the secret key."""

    bundle_dir: Path
    manifest: Manifest
    key: Key | None = None
    key_dir: Path | None = None
    # typed views already validated, by model class: a grader reads them per answer
    _views: dict[tuple[str, type[BaseModel]], BaseModel] = field(default_factory=dict, repr=False, compare=False)

    def public_view(self) -> "Challenge":
        """The same challenge without its key: what a baseline or solver may see."""
        return Challenge(bundle_dir=self.bundle_dir, manifest=self.manifest)

    def public_as(self, model: type[Facts]) -> Facts:
        """``manifest.public`` validated as the kind's public facts."""
        return self._view("public", model, self.manifest.public)

    def secret_as(self, model: type[Facts]) -> Facts:
        """``key.secret`` validated as the kind's secret facts; :class:`NoKey` without a key."""
        if self.key is None:
            raise NoKey(f"challenge {self.manifest.id} was opened without its key")
        return self._view("secret", model, self.key.secret)

    def require_key(self) -> Key:
        if self.key is None:
            raise NoKey(f"challenge {self.manifest.id} was opened without its key")
        return self.key

    def require_key_dir(self) -> Path:
        """The folder of the key's private files (probe sets, reference models)."""
        if self.key_dir is None:
            raise NoKey(f"challenge {self.manifest.id} was opened without its key")
        return self.key_dir

    def _view(self, part: str, model: type[Facts], data: JsonObject) -> Facts:
        cached = self._views.get((part, model))
        if not isinstance(cached, model):
            cached = self._views[(part, model)] = model.model_validate(data)
        return cached


__all__ = [
    "COMMITMENT_SCHEME", "JsonObject", "BaselineAccess", "BaselineResult", "CalibrationRun", "Calibration",
    "Manifest", "AnswerFile", "ReferenceAnswer", "Key", "Grade", "Challenge", "NoKey",
    "Attempt", "Bar", "BarCheck", "BarError", "QualityRecord", "QualitySummary", "check_bars", "evaluate",
    "failure_message", "max_bar", "min_bar", "tighten",
]
