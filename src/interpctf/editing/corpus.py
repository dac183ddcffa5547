"""Where the key statistics' text comes from, always as a stream of documents (never the whole corpus at once).

- None: the synthetic world's corpus (offline, the default; what the world models were trained on);
- a text file: one document per non-blank line, read line by line, each cut to ``MAX_DOC_CHARS``;
- a ``datasets`` name, ``name[:config][@split]`` (e.g. ``wikitext:wikitext-103-raw-v1``, ROME uses Wikipedia),
  streamed from the hub when online; its ``text`` column is used;
- any iterable of strings.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from interpctf.errors import InterpctfError

MAX_DOC_CHARS = 4000  # the tokenizer call is cut to the model's context anyway; this bounds a giant line


def _file_docs(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.strip():
                yield line.strip()[:MAX_DOC_CHARS]


def _dataset_docs(name: str) -> Iterator[str]:
    try:
        import datasets
    except ImportError:
        raise InterpctfError("stats_corpus: a datasets name needs the `datasets` package "
                             "(pip install 'interpctf[hub]'), or give a text file") from None
    spec, _, split = name.partition("@")
    path, _, config = spec.partition(":")
    try:
        data = datasets.load_dataset(path, config or None, split=split or "train", streaming=True)
    except Exception as exc:  # the hub's errors are many and varied; all mean "cannot read it"
        raise InterpctfError(f"stats_corpus: cannot open dataset {name!r}: {str(exc).splitlines()[0][:200]}") from None
    for row in data:
        text = str(row.get("text", "")).strip()
        if text:
            yield text[:MAX_DOC_CHARS]


def _world_docs(n_docs: int) -> list[str]:
    from interpctf.data.world import World
    from interpctf.editing.stats import STATS_SEED

    return World.generate().corpus(n_docs, seed=STATS_SEED)


def corpus_texts(source: Iterable[str] | str | Path | None, n_docs: int) -> tuple[Iterable[str], int | None]:
    """(documents, how many if known), at most ``n_docs`` of them."""
    if source is None or source == "world":
        docs = _world_docs(n_docs)
        return docs, len(docs)
    if isinstance(source, Path) or isinstance(source, str):
        path = Path(source)
        if path.is_file():
            return islice(_file_docs(path), n_docs), None
        if path.suffix in (".txt", ".jsonl", ".json") or str(source).startswith((".", "/", "~")):
            raise InterpctfError(f"stats_corpus: no such file {source}")  # a path, not a dataset name
        return islice(_dataset_docs(str(source)), n_docs), None
    return islice(iter(source), n_docs), None
