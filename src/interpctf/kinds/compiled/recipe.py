"""The compiled recipe: a RASP program (trusted organizer code), its vocabulary, length and compiler options."""

from typing import Literal

from pydantic import Field, field_validator, model_validator

from interpctf.bars import Bar, min_bar
from interpctf.kinds.base import Recipe

Token = int | str


class CompiledRecipe(Recipe):
    kind: Literal["compiled"] = "compiled"
    program: str = Field(description="trusted Python source that sets `program` to a tracr RASP SOp "
                                     "(it may import tracr.rasp and tracr.compiler.lib)")
    vocab: list[Token] = Field(min_length=1, max_length=64)
    max_seq_len: int = Field(ge=1, le=16)
    causal: bool = False
    mlp_exactness: int = Field(default=100, ge=1, le=1000)
    obfuscate: Literal["none", "rotate"] = "none"
    distil: bool = False
    distil_d_model: int | None = Field(default=None, ge=2, le=4096,
                                       description="the student's residual width (default: half the compiled one's)")
    distil_d_mlp: int = Field(default=64, ge=2, le=16384)
    distil_steps: int = Field(default=3000, ge=1, le=100_000)
    max_inputs: int = Field(default=1_000_000, ge=1, le=5_000_000,
                            description="every input up to max_seq_len is checked and graded; refuse a recipe "
                                        "with more than this many")
    n_pairs: int = Field(default=2000, ge=10, le=100_000, description="interchange pairs per circuit variable")

    def default_bars(self) -> list[Bar]:
        # The forge fails on any disagreement, so the figure is always 1.0; the bar records that it was checked.
        bars = [min_bar("exhaustive_agreement", "exhaustive_agreement", 1.0)]
        if self.distil:  # a trained student can miss an input: the forge retrains it from a derived seed
            bars.append(min_bar("distil_agreement", "distil_agreement", 1.0))
        return bars

    @field_validator("program")
    @classmethod
    def _program_compiles(cls, source: str) -> str:
        try:
            compile(source, "<program>", "exec")
        except SyntaxError as exc:
            raise ValueError(f"the RASP program has a syntax error at line {exc.lineno}: {exc.msg}") from None
        except (RecursionError, MemoryError):
            raise ValueError("the RASP program is nested too deeply to compile") from None
        return source

    @field_validator("vocab")
    @classmethod
    def _vocab_distinct(cls, vocab: list[Token]) -> list[Token]:
        if len(set(vocab)) != len(vocab):
            raise ValueError("vocab has repeated tokens")
        if any(isinstance(t, bool) for t in vocab):
            raise ValueError("vocab tokens are integers or strings, not booleans")
        return vocab

    @model_validator(mode="after")
    def _sizes(self) -> "CompiledRecipe":
        if not self.distil and self.model_fields_set & {"distil_d_model", "distil_d_mlp", "distil_steps"}:
            raise ValueError("distil_d_model, distil_d_mlp and distil_steps apply with distil: true only")
        if n_inputs(len(self.vocab), self.max_seq_len) > self.max_inputs:
            raise ValueError(f"vocab {len(self.vocab)} and max_seq_len {self.max_seq_len} give "
                             f"{n_inputs(len(self.vocab), self.max_seq_len):,} inputs, over max_inputs "
                             f"{self.max_inputs:,}; shorten the vocabulary or the length")
        return self


def n_inputs(n_vocab: int, max_len: int) -> int:
    """How many sequences of length 1..max_len there are."""
    return sum(n_vocab ** n for n in range(1, max_len + 1))
