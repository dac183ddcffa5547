"""The edit recipe: which facts to rewrite (a count drawn from the seed, or the edits themselves), with which
method, and what the solver is told about the world."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from interpctf.bars import Bar, min_bar
from interpctf.kinds.base import Recipe


class EditSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    subject: str
    relation: str
    new_object: str


class EditRecipe(Recipe):
    kind: Literal["edit"] = "edit"
    edits: int | list[EditSpec] = Field(
        default=1, description="how many facts to rewrite (drawn per variant from the seed), or the edits themselves")
    method: Literal["rome", "memit"] = "rome"
    reveal: Literal["kb", "vocab"] = Field(
        default="vocab", description="kb: the world's facts are published (black-box solvable); "
                                     "vocab: only subjects, relations, their objects and templates")

    def default_bars(self) -> list[Bar]:
        """Every planted edit takes (P(new) > P(old) on its rewrite prompt), and the edited model keeps 95% of
        the original model's top-1 recall on the facts it did not edit (the revert answers' keep bar)."""
        return [min_bar("min_efficacy", "efficacy", 1.0), min_bar("min_recall_kept", "recall_kept", 0.95)]

    @model_validator(mode="after")
    def _sizes(self) -> "EditRecipe":
        n = self.edits if isinstance(self.edits, int) else len(self.edits)
        if not 1 <= n <= 100:
            raise ValueError("edits: give between 1 and 100 edits")
        if isinstance(self.edits, list) and len({(e.subject, e.relation) for e in self.edits}) != n:
            raise ValueError("edits: two edits rewrite the same (subject, relation)")
        return self

    @property
    def n_edits(self) -> int:
        return self.edits if isinstance(self.edits, int) else len(self.edits)
