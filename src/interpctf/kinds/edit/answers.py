"""Edit answers, parsed strictly against the published world and model (data, never code).

- ``facts``: JSON ``{"facts": [{"subject", "relation", "new_object"[, "original_object"]}, ...]}`` (or the bare
  list): the rewritten facts found.
- ``revert``: a ``.safetensors`` file of weight deltas, keyed by parameter names of the published model
  (e.g. ``transformer.h.3.mlp.c_proj.weight``), each with that parameter's shape; the grader adds them.

Parsing needs only numpy and the bundle's ``world.json``, so the server can validate an answer at intake
without loading torch.
"""

import io
import json
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interpctf.data.world import UnknownWorldItem, World
from interpctf.errors import BadAnswer, BadBundle, one_line
from interpctf.intake.arrays import read_safetensors_header
from interpctf.kinds.base import Answer
from interpctf.schema import AnswerFile

MAX_FACTS_BYTES = 1 << 20
MAX_REVERT_BYTES = 64 << 20
MAX_CLAIMS = 1000
WORLD_FILE = "world.json"
WEIGHTS_FILE = "model.safetensors"
DELTA_DTYPES = ("F16", "F32", "F64")  # the float dtypes numpy reads


class FactClaim(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    subject: str
    relation: str
    new_object: str
    original_object: str | None = None


class FactsAnswer(Answer):
    format: Literal["facts"] = "facts"
    facts: list[FactClaim]


class RevertAnswer(Answer):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    format: Literal["revert"] = "revert"
    deltas: dict[str, np.ndarray]


EditAnswer = Annotated[FactsAnswer | RevertAnswer, Field(discriminator="format")]


def published_world(model_dir: Path) -> World:
    path = Path(model_dir) / WORLD_FILE
    if not path.exists():
        raise BadAnswer(f"this bundle has no {WORLD_FILE}; is it an edit challenge?")
    return World.load(path)


def parse_facts(answer: AnswerFile, world: World) -> FactsAnswer:
    if len(answer.data) > MAX_FACTS_BYTES:
        raise BadAnswer(f"facts answer is over the {MAX_FACTS_BYTES}-byte limit")
    try:
        data = json.loads(answer.data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadAnswer(f"facts answer is not JSON: {exc}") from None
    except RecursionError:
        raise BadAnswer("facts answer is nested too deeply to be a list of facts") from None
    if isinstance(data, dict):
        if set(data) - {"format", "facts"} or "facts" not in data:
            raise BadAnswer('facts answer: give {"facts": [{"subject", "relation", "new_object"}, ...]}')
        data = data["facts"]
    if not isinstance(data, list):
        raise BadAnswer("facts answer: 'facts' must be a list")
    if len(data) > MAX_CLAIMS:
        raise BadAnswer(f"facts answer: at most {MAX_CLAIMS} facts")
    claims = []
    for i, item in enumerate(data):
        try:
            claims.append(FactClaim.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise BadAnswer(f"facts answer: fact {i}: {where + ': ' if where else ''}{err['msg']}") from None
    seen: dict[tuple[str, str], str] = {}
    for claim in claims:
        try:
            world.check_subject(claim.subject)
            world.check_object(claim.relation, claim.new_object)
            if claim.original_object is not None:
                world.check_object(claim.relation, claim.original_object)
        except UnknownWorldItem as exc:
            raise BadAnswer(f"facts answer: {exc}") from None
        key = (claim.subject, claim.relation)
        if seen.get(key, claim.new_object) != claim.new_object:
            raise BadAnswer(f"facts answer: ({claim.subject}, {claim.relation}) is given two new objects")
        seen[key] = claim.new_object
    return FactsAnswer(facts=claims)


def parameter_shapes(model_dir: Path) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the published weights, read from the safetensors header (no tensor is loaded)."""
    path = Path(model_dir) / WEIGHTS_FILE
    with open(path, "rb") as fh:
        header = read_safetensors_header(fh, path.stat().st_size, str(path), error=BadBundle)
    return {name: entry.shape for name, entry in header.items()}


def parse_revert(answer: AnswerFile, model_dir: Path) -> RevertAnswer:
    """Checked from the header first (names, dtypes, shapes, byte ranges) against the model's parameters, so
    a file declaring more than the model holds is refused before any tensor is read."""
    from interpctf.intake.deltas import read_deltas

    return RevertAnswer(deltas=read_deltas(answer.data, parameter_shapes(model_dir), "revert answer",
                                           MAX_REVERT_BYTES))


def parse_edit_answer(answer: AnswerFile, model_dir: Path) -> EditAnswer:
    name = (answer.filename or "").lower()
    if name.endswith(".safetensors"):
        return parse_revert(answer, model_dir)
    if name.endswith(".json") or not name:
        return parse_facts(answer, published_world(model_dir))
    raise BadAnswer(f"edit answers are a facts .json or a revert .safetensors file, not {answer.filename!r}")
