"""The kind contract: its Recipe, forge, answer parsing, grade, reference answer, baselines, solvers, querier and
model families. A kind is one folder; this is all a contributor has to learn.

Bundle and key plumbing (salts, commitments, manifests, cards, packing) is the platform's job, in
:mod:`interpctf.bundle` and :mod:`interpctf.forge`; a kind only trains, plants and grades. ``Kind`` is generic
over its recipe, public facts, secret facts and answer types; the answer type is a union of the kind's answer
models discriminated by ``format``.
"""

import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from interpctf.catalogue import check_problem_ids
from interpctf.errors import BadAnswer
from interpctf.progress import Progress
from interpctf.schema import AnswerFile, Bar, BarError, BaselineAccess, Challenge, Grade, tighten
from interpctf.solvers.budget import QueryMeter, SolverBudget
from interpctf.solvers.entry import SolverEntry


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
    # open-problems catalogue entries this challenge instantiates (shown on the card and the server's /problems);
    # left out of dumps when empty, so nothing forged from an older recipe changes
    problems: list[str] = Field(default_factory=list, exclude_if=lambda value: not value,
                                description="ids of catalogue entries (`interpctf problems`)")

    @field_validator("problems")
    @classmethod
    def _known_problems(cls, value: list[str]) -> list[str]:
        return check_problem_ids(value)

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
    """Base of every kind's answer; ``format`` (a Literal in each subclass) names which answer format it is."""

    model_config = ConfigDict(extra="forbid")

    format: str


class Facts(BaseModel):
    """Base of a kind's public and secret facts. Extra fields are ignored: the stored JSON stays as it was
    committed, and a key forged by another version of the kind still reads."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    def stored(self) -> dict[str, Any]:
        """The JSON object stored in the manifest or key: the fields the forge set, as it set them."""
        return self.model_dump(mode="json", exclude_unset=True)


PublicT = TypeVar("PublicT", bound=Facts)
SecretT = TypeVar("SecretT", bound=Facts)
RecipeT = TypeVar("RecipeT", bound=Recipe)
AnswerT = TypeVar("AnswerT")


@dataclass
class Forged(Generic[PublicT, SecretT]):
    """What :meth:`Kind.forge` returns besides the files it wrote.

    ``public`` goes into the manifest (never anything that reveals the secret); ``secret`` into the key;
    ``reference_answer`` is the truth written in the kind's answer format, so the plant can always be checked.
    """

    answer_format: str
    answer_help: str
    public: PublicT
    secret: SecretT
    reference_answer: AnswerFile
    metrics: dict[str, float] = field(default_factory=dict)  # measured while forging, kept in the key
    statement: str = ""  # the kind's default statement, used when the recipe gives none


@dataclass
class ForgeTarget:
    """Where a kind writes: ``model_dir`` and ``examples_dir`` are published, ``key_dir`` stays secret."""

    model_dir: Path
    examples_dir: Path
    key_dir: Path


Baseline = Callable[[Challenge], AnswerFile]
"""A baseline solver: sees only the public bundle (``challenge.key`` is None) and returns an answer file."""

Query = Callable[[str], Any]
"""The agent's query tool: a JSON list of inputs in, a JSON-able reply out."""

Querier = Callable[[Path, QueryMeter], Query]
"""Builds a :data:`Query` over one bundle folder, spending from the meter."""

HintSolver = Callable[[Path, SolverBudget, list[Any]], AnswerFile]
"""A black-box solver given a hint's data too (arrays found in its text): the streetlight audit of hints."""


class Kind(ABC, Generic[RecipeT, PublicT, SecretT, AnswerT]):
    name: ClassVar[str]
    recipe_model: type[RecipeT]
    public_model: type[PublicT]
    secret_model: type[SecretT]
    # The kind's answers: a union of Answer subclasses, Annotated with Field(discriminator="format").
    answer_type: ClassVar[Any]
    card_template: ClassVar[str] = ""  # kind-specific part of the challenge card (markdown, str.format fields)
    # Baselines that look inside the model (weights, activations, gradients); the others only query it.
    white_box_baselines: ClassVar[frozenset[str]] = frozenset()
    # The baseline whose answer is the bottom (0) of benchmark scores; None: the kind has no trivial answer.
    trivial_baseline: ClassVar[str | None] = None
    # A small recipe that forges in well under a minute, as a path inside the kind's package (the contract test).
    reference_recipe: ClassVar[str | None] = None
    # Model families the kind's bundles name in config.json: family -> module with ``load(model_dir)``.
    model_families: ClassVar[dict[str, str]] = {}

    @abstractmethod
    def forge(self, recipe: RecipeT, variant: int, seed: int, target: ForgeTarget,
              progress: Progress) -> Forged[PublicT, SecretT]:
        """Draw this variant's secret from the recipe (with ``seed``), train the model, write the files."""

    @abstractmethod
    def parse_answer(self, answer: AnswerFile, challenge: Challenge) -> AnswerT:
        """Validate an uploaded answer; raise :class:`interpctf.errors.BadAnswer` with a one-line reason."""

    @abstractmethod
    def grade(self, answer: AnswerT, challenge: Challenge) -> Grade:
        """Grade a parsed answer against ``challenge.key``. Faults of the answer give a failed Grade, never raise."""

    @classmethod
    def reference_recipe_path(cls) -> Path | None:
        """:attr:`reference_recipe` as a file: it is relative to the folder of the module defining the kind."""
        if cls.reference_recipe is None:
            return None
        module = sys.modules[cls.__module__].__file__
        assert module is not None
        return Path(module).parent / cls.reference_recipe

    def public(self, challenge: Challenge) -> PublicT:
        """The challenge's public facts, typed."""
        return challenge.public_as(self.public_model)

    def secret(self, challenge: Challenge) -> SecretT:
        """The challenge's secret facts, typed (the challenge must hold its key)."""
        return challenge.secret_as(self.secret_model)

    @cached_property
    def _answers(self) -> TypeAdapter[AnswerT]:
        return TypeAdapter(self.answer_type)

    def answer_of(self, data: dict[str, Any]) -> AnswerT:
        """An answer from its fields (``format`` included), through the kind's discriminated answer union."""
        try:
            return self._answers.validate_python(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "answer"
            raise BadAnswer(f"{where}: {first['msg']}") from None

    def baselines(self) -> dict[str, Baseline]:
        """Baseline solvers by name: none of them should solve a well-made challenge."""
        return {}

    def baseline_access(self, name: str) -> BaselineAccess:
        """Whether baseline ``name`` only queries the model (black-box) or looks inside it (white-box)."""
        return "white-box" if name in self.white_box_baselines else "black-box"

    def solvers(self) -> list[SolverEntry]:
        """The kind's solvers besides its baselines (which the solver registry wraps as ``KIND/NAME`` itself)."""
        return []

    def querier(self) -> Querier | None:
        """The agent's black-box query tool for this kind's bundles; None: agents work from the bundle alone."""
        return None

    def hint_solvers(self) -> dict[str, HintSolver]:
        """Black-box solvers that can use a hint's data (an image, an input, a value): run before a hint is
        published, to show whether it lets one solve without reading the model. None by default."""
        return {}

    def study_pictures(self, challenge: Challenge, trojans: list[str], pool: list[str],
                       seed: int) -> dict[str, bytes]:
        """PNG pictures of a human study's candidate triggers (``challenge`` with its key): each planted trojan's
        from the key, each distractor-pool entry drawn alike, keyed by trojan id or pool entry. Empty by
        default: the study then shows the candidates' descriptions."""
        return {}

    def card(self, challenge: Challenge) -> str:
        """Kind-specific markdown for the challenge card: how to load the model, what to answer."""
        return ""

    def measure(self, challenge: Challenge) -> dict[str, float]:
        """Recompute the figures the quality bars read from the published model and ``challenge.key``.

        ``check`` uses these in place of the figures recorded in the key; a figure left out falls back to the
        recorded one."""
        return {}
