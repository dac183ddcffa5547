"""What counts as key material in a bundle file: the salt, the reference answer's bytes, and the secret's values.

Short values (a target class ``1``, a word of the world's vocabulary) occur in any file by chance and are often
public by design, so only values long enough to be distinctive are looked for: strings of at least
``MIN_STRING`` characters, and lists or objects whose JSON is at least ``MIN_JSON`` characters (a probe index
list, a rule's source). Each is looked for as is and as it would appear inside a JSON string.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIN_STRING = 16
MIN_JSON = 32


@dataclass(frozen=True)
class Needle:
    what: str  # where in the key it comes from, for the failure message
    data: bytes


def _forms(text: str) -> set[bytes]:
    """``text`` as written raw and as it would sit inside a JSON string (newlines escaped, quotes escaped)."""
    escaped = json.dumps(text)[1:-1]
    return {text.encode(), escaped.encode(), json.dumps(text, ensure_ascii=False)[1:-1].encode()}


def _walk(value: Any, where: str) -> list[Needle]:
    out: list[Needle] = []
    if isinstance(value, str):
        if len(value) >= MIN_STRING:
            out += [Needle(where, form) for form in _forms(value)]
    elif isinstance(value, (list, dict)):
        for separators in ((", ", ": "), (",", ":")):
            dumped = json.dumps(value, separators=separators)
            if len(dumped) >= MIN_JSON:
                out.append(Needle(where, dumped.encode()))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            out += _walk(item, f"{where}.{key}")
    return out


def key_needles(key: Any) -> list[Needle]:
    """Every distinctive piece of ``key`` (an :class:`interpctf.schema.Key`) that no bundle file may hold."""
    needles = [Needle("salt", form) for form in _forms(key.salt)]
    reference = key.reference_answer.file().data
    if len(reference) >= MIN_STRING:
        needles.append(Needle("reference answer", reference))
        text = reference.decode("utf-8", errors="ignore")
        if len(text) >= MIN_STRING:
            needles += [Needle("reference answer", form) for form in _forms(text)]
    needles += _walk(key.secret, "secret")
    return needles


def leaks(bundle_dir: Path, key: Any) -> list[str]:
    """``FILE holds KEY PART`` for every bundle file that contains a piece of the key; empty when none does."""
    needles = key_needles(key)
    found = []
    for path in sorted(Path(bundle_dir).rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        rel = path.relative_to(bundle_dir).as_posix()
        parts = sorted({n.what for n in needles if n.data in data or n.data in rel.encode()})
        found += [f"{rel} holds the key's {part}" for part in parts]
    return found
