"""What a kind supplies: its Recipe, forge, Answer parsing, grade, reference answer and baselines.

Bundle and key plumbing (salts, commitments, manifests, cards, packing) is the platform's job, in
:mod:`interpctf.bundle` and :mod:`interpctf.forge`; a kind only trains, plants and grades.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from interpctf.bars import Bar, BarError, tighten
from interpctf.grade import Grade
from interpctf.progress import Progress


class Recipe(BaseModel):
    """Fields every recipe has; a kind subclasses it with its own parameters and secret."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    title: str = Field(min_length=1, max_length=200)
    statement: str = ""
    seed: int = 0
    variants: int = Field(default=1, ge=1, le=1000)
    bars: dict[str, float] = Field(default_factory=dict, description="bar name -> threshold; may only tighten "
                                   "the kind's defaults")
    max_attempts: int = Field(default=5, ge=1, le=20, description="forging retrains with derived seeds until "
                              "every bar holds, at most this many times")

    def default_bars(self) -> list[Bar]:
        """The kind's quality bars for this recipe with their default (floor) thresholds."""
        return []

    def quality_bars(self) -> list[Bar]:
        """The bars forging must meet: the defaults, tightened by ``bars``."""
        return tighten(self.default_bars(), self.bars)

    def threshold(self, bar: str) -> float:
        """The threshold this recipe holds bar ``bar`` to (for kinds that also check it while training)."""
        return next(b.threshold for b in self.quality_bars() if b.name == bar)

    @model_validator(mode="after")
    def _bars_only_tighten(self) -> "Recipe":
        try:
            self.quality_bars()
        except BarError as exc:
            raise ValueError(str(exc)) from None
        return self


class Answer(BaseModel):
    """Base of every kind's answer; ``format`` names which of the kind's answer formats it is."""

    model_config = ConfigDict(extra="forbid")

    format: str


@dataclass
class AnswerFile:
    """An answer as it travels: the bytes a solver uploads and the file name they came with."""

    filename: str
    data: bytes


@dataclass
class Forged:
    """What :meth:`Kind.forge` returns besides the files it wrote.

    ``public`` goes into the manifest (never anything that reveals the secret); ``secret`` into the key;
    ``reference_answer`` is the truth written in the kind's answer format, so the plant can always be checked.
    """

    answer_format: str
    answer_help: str
    public: dict[str, Any]
    secret: dict[str, Any]
    reference_answer: AnswerFile
    metrics: dict[str, float] = field(default_factory=dict)  # measured while forging, kept in the key
    statement: str = ""  # the kind's default statement, used when the recipe gives none


@dataclass
class ForgeTarget:
    """Where a kind writes: ``model_dir`` and ``examples_dir`` are published, ``key_dir`` stays secret."""

    model_dir: Path
    examples_dir: Path
    key_dir: Path


@dataclass
class Challenge:
    """A forged challenge as a grader sees it: the public bundle and, for grading, the secret key."""

    bundle_dir: Path
    manifest: "Any"  # interpctf.bundle.Manifest (kept loose here to avoid an import cycle)
    key: "Any | None" = None  # interpctf.bundle.Key
    key_dir: Path | None = None


Baseline = Callable[[Challenge], AnswerFile]
"""A baseline solver: sees only the public bundle (``challenge.key`` is None) and returns an answer file."""

BaselineAccess = Literal["black-box", "white-box"]


class Kind(ABC):
    name: ClassVar[str]
    recipe_model: ClassVar[type[Recipe]]
    card_template: ClassVar[str] = ""  # kind-specific part of the challenge card (markdown, str.format fields)
    # Baselines that look inside the model (weights, activations, gradients); the others only query it.
    white_box_baselines: ClassVar[frozenset[str]] = frozenset()
    # The baseline whose answer is the bottom (0) of benchmark scores; None: the kind has no trivial answer.
    trivial_baseline: ClassVar[str | None] = None

    @abstractmethod
    def forge(self, recipe: Recipe, variant: int, seed: int, target: ForgeTarget, progress: Progress) -> Forged:
        """Draw this variant's secret from the recipe (with ``seed``), train the model, write the files."""

    @abstractmethod
    def parse_answer(self, answer: AnswerFile, challenge: Challenge) -> Answer:
        """Validate an uploaded answer; raise :class:`interpctf.errors.BadAnswer` with a one-line reason."""

    @abstractmethod
    def grade(self, answer: Answer, challenge: Challenge) -> Grade:
        """Grade a parsed answer against ``challenge.key``. Faults of the answer give a failed Grade, never raise."""

    def baselines(self) -> dict[str, Baseline]:
        """Baseline solvers by name: none of them should solve a well-made challenge."""
        return {}

    def baseline_access(self, name: str) -> BaselineAccess:
        """Whether baseline ``name`` only queries the model (black-box) or looks inside it (white-box)."""
        return "white-box" if name in self.white_box_baselines else "black-box"

    def card(self, challenge: Challenge) -> str:
        """Kind-specific markdown for the challenge card: how to load the model, what to answer."""
        return ""

    def measure(self, challenge: Challenge) -> dict[str, float]:
        """Recompute the figures the quality bars read from the published model and ``challenge.key``.

        ``check`` uses these in place of the figures recorded in the key; a figure left out falls back to the
        recorded one."""
        return {}
