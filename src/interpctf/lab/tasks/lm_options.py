"""``sae-lm``'s own options: which model, site and corpus (default: the built-in world model at its fixed site), and
loading them. A Hugging Face id or a ``datasets`` name needs the network the first time; a folder and a text file
never do."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from pydantic import BaseModel, ConfigDict, Field, model_validator

from interpctf.errors import InterpctfError


class LMOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = Field(None, description="a Hugging Face causal LM id or folder; none: the world model")
    hook: str | None = Field(None, description="a TransformerLens-style site, e.g. blocks.6.hook_resid_post")
    corpus: str | None = Field(None, description="a text file (one document a line) or a datasets name")
    context: int = Field(128, ge=2, le=8192, description="tokens per document, at most")
    eval_tokens: int = Field(8192, ge=16, le=1 << 22, description="tokens in each of validation and test")
    buffer_tokens: int = Field(1 << 16, ge=256, le=1 << 24, description="training activations held at once")

    @model_validator(mode="after")
    def _check(self) -> "LMOptions":
        if self.model is None and (self.hook or self.corpus):
            raise ValueError("model: hook and corpus need a model (the world model's site and corpus are fixed)")
        if self.model is not None and not (self.hook and self.corpus):
            raise ValueError(f"{'hook' if not self.hook else 'corpus'}: required with model")
        return self


def corpus_lines(corpus: str):
    """A function returning a fresh iterator over the corpus's lines (a file, else a ``datasets`` text column)."""
    path = Path(corpus)
    if path.is_file():
        def lines() -> Iterator[str]:
            with path.open(encoding="utf-8", errors="replace") as fh:
                yield from fh
        return lines
    try:
        import datasets
    except ImportError:
        raise InterpctfError(f"--corpus: {corpus} is not a file, and `datasets` is not installed") from None

    def rows() -> Iterator[str]:
        try:
            stream = datasets.load_dataset(corpus, split="train", streaming=True)
        except Exception as exc:  # noqa: BLE001  (datasets raises many kinds; one line either way)
            raise InterpctfError(f"--corpus: cannot load dataset {corpus!r}: {' '.join(str(exc).split())[:200]}")
        for row in stream:
            yield str(row.get("text", ""))
    return rows


def load_model(name: str):
    """(model, tokenizer) of a causal LM, float32 on the CPU."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        model = AutoModelForCausalLM.from_pretrained(name, torch_dtype="float32")
        tokenizer = AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as exc:
        raise InterpctfError(f"--model: cannot load {name!r} ({' '.join(str(exc).split())[:200]}); offline, give "
                             "a folder holding config.json, the weights and the tokenizer") from None
    return model, tokenizer
