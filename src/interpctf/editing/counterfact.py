"""CounterFact records (Meng et al. 2022, §3.2): the edit requests of any causal LM, validated at the boundary,
and their targets as token ids.

A record is ``{"requested_rewrite": {"prompt": "The mother tongue of {} is", "subject": "Danielle Darrieux",
"target_new": {"str": "English"}, "target_true": {"str": "French"}}, "paraphrase_prompts": [...],
"neighborhood_prompts": [...]}``; the dataset's other fields (case_id, generation_prompts, ...) are allowed and
ignored. Targets are written without their leading space, as in CounterFact; :func:`target_ids` tokenizes the
target *after* the prompt, so GPT-2's byte-level BPE (" English" is one token) and SentencePiece-style
tokenizers ("▁English") both get the ids the model would see in running text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from interpctf.errors import InterpctfError, one_line

MAX_RECORDS = 1000


class BadRecord(InterpctfError):
    """A CounterFact record that cannot be edited (the message names the field)."""


class Target(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
    text: str = Field(alias="str", min_length=1)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("the target is blank")
        return v.strip()


class RequestedRewrite(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    prompt: str
    subject: str = Field(min_length=1)
    target_new: Target
    target_true: Target
    relation_id: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> "RequestedRewrite":
        if self.prompt.count("{}") != 1:
            raise ValueError("prompt: must contain '{}' exactly once, where the subject goes")
        if self.target_new.text == self.target_true.text:
            raise ValueError("target_new: is the same as target_true; an edit must change the target")
        return self


class CounterFactRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    case_id: int | None = None
    requested_rewrite: RequestedRewrite
    paraphrase_prompts: list[str] = []
    neighborhood_prompts: list[str] = []

    @property
    def prompt(self) -> str:
        """The rewrite prompt with the subject filled in (the efficacy prompt)."""
        rw = self.requested_rewrite
        return rw.prompt.replace("{}", rw.subject)

    @property
    def relation(self) -> str:
        """The relation's id, or its prompt template where the record has none (facts answers name it)."""
        rw = self.requested_rewrite
        return rw.relation_id or rw.prompt


def parse_records(data: Any, field: str = "facts") -> list[CounterFactRecord]:
    """Records from a list of dicts, a JSON file path or JSON text; one-line errors name the record and field."""
    if isinstance(data, (str, Path)):
        path = Path(data)
        try:
            data = json.loads(path.read_text()) if path.suffix == ".json" or path.exists() else json.loads(str(data))
        except (OSError, json.JSONDecodeError) as exc:
            raise BadRecord(f"{field}: cannot read CounterFact records from {str(data)[:80]!r}: {one_line(exc)}"
                            ) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise BadRecord(f"{field}: give a non-empty list of CounterFact records")
    if len(data) > MAX_RECORDS:
        raise BadRecord(f"{field}: at most {MAX_RECORDS} records")
    out = []
    for i, item in enumerate(data):
        if isinstance(item, CounterFactRecord):
            out.append(item)
            continue
        try:
            out.append(CounterFactRecord.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            msg = str(err["msg"]).removeprefix("Value error, ")
            raise BadRecord(f"{field}[{i}]{'.' + where if where else ''}: {msg}") from None
    seen: set[tuple[str, str]] = set()
    for i, rec in enumerate(out):
        key = (rec.requested_rewrite.subject, rec.relation)
        if key in seen:
            raise BadRecord(f"{field}[{i}]: a second edit of ({key[0]}, {key[1]}); keep one of them")
        seen.add(key)
    return out


def _plain(tokenizer, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def target_ids(tokenizer, prompt: str, target: str) -> list[int]:
    """The target's token ids as they follow ``prompt`` (joined by one space): the tokens of prompt + target
    after the prompt's own tokens. Where the tokenizer merges across the boundary, the target alone with a
    leading space is used."""
    before = _plain(tokenizer, prompt)
    both = _plain(tokenizer, f"{prompt} {target}")
    if both[:len(before)] == before and len(both) > len(before):
        return both[len(before):]
    return _plain(tokenizer, " " + target)


def prompt_ids(tokenizer, prompt: str) -> list[int]:
    """The prompt's ids as the model reads it (the tokenizer's special tokens, e.g. a BOS, included) without a
    trailing end-of-sequence token that some tokenizers append."""
    ids = list(tokenizer(prompt)["input_ids"])
    eos = getattr(tokenizer, "eos_token_id", None)
    if len(ids) > 1 and eos is not None and ids[-1] == eos and eos != getattr(tokenizer, "bos_token_id", None):
        ids = ids[:-1]
    return ids


def subject_end(tokenizer, prompt: str, subject: str) -> int:
    """Index (in :func:`prompt_ids`) of the subject's last token in ``prompt``. The subject is tokenized in place
    (the prompt's tokens up to the subject's end, compared with those up to its start), so a leading space that
    changes the subject's tokens is handled."""
    at = prompt.rfind(subject)
    if at < 0:
        raise BadRecord(f"subject {subject!r} is not in prompt {prompt!r}")
    full = prompt_ids(tokenizer, prompt)
    upto = prompt_ids(tokenizer, prompt[:at + len(subject)])
    if full[:len(upto)] != upto:  # the subject's last token merges with what follows: take the merged token
        return min(len(upto), len(full)) - 1
    return len(upto) - 1


def check_records(records: list[CounterFactRecord], tokenizer, field: str = "facts") -> None:
    """Checks what needs the tokenizer: each target tokenizes to at least one token, the subject is found."""
    for i, rec in enumerate(records):
        rw = rec.requested_rewrite
        for name in ("target_new", "target_true"):
            text = getattr(rw, name).text
            if not target_ids(tokenizer, rec.prompt, text):
                raise BadRecord(f"{field}[{i}].requested_rewrite.{name}: {text!r} tokenizes to nothing")
        unk = getattr(tokenizer, "unk_token_id", None)
        if unk is not None and unk in target_ids(tokenizer, rec.prompt, rw.target_new.text):
            raise BadRecord(f"{field}[{i}].requested_rewrite.target_new: {rw.target_new.text!r} has words the "
                            f"tokenizer does not know")
        try:
            subject_end(tokenizer, rec.prompt, rw.subject)
        except BadRecord as exc:
            raise BadRecord(f"{field}[{i}].requested_rewrite.subject: {exc}") from None
