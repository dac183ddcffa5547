"""The edit recipe: which facts to rewrite (a count drawn from the seed, or the edits themselves), with which
method, and what the solver is told about the world."""

from typing import Any, Literal

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
    # Your own model (see forging_hf.py): any Hugging Face causal LM of a family the editors know.
    base_model: str | None = Field(
        default=None, description="a Hugging Face hub id or a local model folder (AutoModelForCausalLM + "
                                  "AutoTokenizer); unset: the built-in world model")
    facts: list[dict[str, Any]] | str | None = Field(
        default=None, description="with base_model: the edits as CounterFact records, inline or a JSON file path")
    stats_corpus: str | None = Field(
        default=None, description="text for the key statistics: a text file, a datasets name (online), "
                                  "or unset for the synthetic world's corpus")
    device: Literal["cpu", "cuda", "auto"] = "auto"
    dtype: Literal["float32", "bfloat16"] = "float32"
    layers: list[int] | None = Field(default=None, description="with base_model: the edited layer (ROME: one) "
                                                               "or layers (MEMIT); unset: about a third deep")
    position: Literal["subject", "last"] = Field(
        default="subject", description="with base_model: where the key is read: the subject's last token "
                                       "(ROME's choice) or the prompt's last token")

    def default_bars(self) -> list[Bar]:
        """Every planted edit takes (P(new) > P(old) on its rewrite prompt), and the edited model keeps 95% of
        the original model's top-1 recall on the facts it did not edit (the revert answers' keep bar)."""
        return [min_bar("min_efficacy", "efficacy", 1.0), min_bar("min_recall_kept", "recall_kept", 0.95)]

    @model_validator(mode="after")
    def _sizes(self) -> "EditRecipe":
        if self.base_model is not None or self.facts is not None:
            return self._own_model()
        n = self.edits if isinstance(self.edits, int) else len(self.edits)
        if not 1 <= n <= 100:
            raise ValueError("edits: give between 1 and 100 edits")
        if isinstance(self.edits, list) and len({(e.subject, e.relation) for e in self.edits}) != n:
            raise ValueError("edits: two edits rewrite the same (subject, relation)")
        return self

    def _own_model(self) -> "EditRecipe":
        if self.base_model is None:
            raise ValueError("facts: CounterFact records need a base_model (a hub id or a model folder)")
        if self.facts is None:
            raise ValueError("facts: give the edits as CounterFact records (inline or a JSON file path)")
        if "edits" in self.model_fields_set:
            raise ValueError("edits: with base_model the edits are the facts: records; drop edits")
        if self.method == "rome" and self.layers is not None and len(self.layers) != 1:
            raise ValueError("layers: ROME edits one layer; give one")
        if isinstance(self.facts, list):
            from interpctf.editing.counterfact import BadRecord, parse_records
            try:
                parse_records(self.facts)
            except BadRecord as exc:
                raise ValueError(str(exc)) from None
        return self

    @property
    def n_edits(self) -> int:
        if isinstance(self.facts, list):
            return len(self.facts)
        return self.edits if isinstance(self.edits, int) else len(self.edits)
