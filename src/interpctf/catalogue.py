"""The open-problems catalogue: entries (id, title, category, difficulty, statement, references, status) that
challenges and lab tasks name in ``problems: [...]``, so a newcomer can go from a problem to a graded instance.

The YAML lives in ``catalogue/`` at the repository root; ``interpctf/catalogue_data`` points at it (a link in a
checkout, a copy in a built wheel), so an installed interpctf finds it too. ``$INTERPCTF_CATALOGUE`` overrides
both. This module is a pure leaf (pydantic and YAML only): the recipe base validates ids through it.
"""

import os
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interpctf.errors import InterpctfError, one_line

ENV_VAR = "INTERPCTF_CATALOGUE"
CATEGORIES_FILE = "categories.yaml"
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,79}$"


class BadCatalogue(InterpctfError):
    pass


class Reference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(min_length=1, max_length=300)
    year: int = Field(ge=1950, le=2100)


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=500)


class Entry(BaseModel):
    """One open problem. ``challenges`` / ``lab_tasks`` are extra links from the entry's side (reference recipe
    slugs, lab task names); most links come from the other side, a recipe's or task's ``problems``."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    category: str
    difficulty: int = Field(ge=1, le=3)
    statement: str = Field(min_length=1, max_length=2000)
    references: list[Reference] = Field(default_factory=list)
    status: str = Field(default="", max_length=500)
    challenges: list[str] = Field(default_factory=list)
    lab_tasks: list[str] = Field(default_factory=list)


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    categories: list[Category]
    entries: list[Entry]

    def entry(self, entry_id: str) -> Entry:
        for e in self.entries:
            if e.id == entry_id:
                return e
        raise BadCatalogue(f"unknown problem {entry_id!r}; list them with `interpctf problems`")

    def ids(self) -> set[str]:
        return {e.id for e in self.entries}

    def in_category(self, category: str | None) -> list[Entry]:
        if category is not None and category not in {c.id for c in self.categories}:
            raise BadCatalogue(f"unknown category {category!r}; choose one of "
                               f"{', '.join(c.id for c in self.categories)}")
        return [e for e in self.entries if category is None or e.category == category]


def catalogue_dir() -> Path:
    """$INTERPCTF_CATALOGUE, else the packaged copy (a link to catalogue/ in a checkout)."""
    override = os.environ.get(ENV_VAR)
    folder = Path(override) if override else Path(__file__).resolve().parent / "catalogue_data"
    if not (folder / CATEGORIES_FILE).is_file():
        raise BadCatalogue(f"no open-problems catalogue at {folder} (no {CATEGORIES_FILE}); set ${ENV_VAR} to the "
                           f"catalogue/ folder of an interpctf checkout")
    return folder


def _read(path: Path) -> list:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise BadCatalogue(f"cannot read {path}: {one_line(exc)}") from None
    if not isinstance(data, list):
        raise BadCatalogue(f"{path}: a catalogue file is a YAML list of entries")
    return data


def _field_error(exc: ValidationError, source: str) -> BadCatalogue:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return BadCatalogue(f"{source}: field '{where}': {first['msg']}")


def parse_catalogue(categories: list, files: dict[str, list]) -> Catalogue:
    """Validate categories and entries (``files``: source name -> list of entries); one line on the first error."""
    try:
        cats = [Category.model_validate(c) for c in categories]
    except ValidationError as exc:
        raise _field_error(exc, CATEGORIES_FILE) from None
    known = {c.id for c in cats}
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    for source, items in files.items():
        for i, item in enumerate(items):
            try:
                entry = Entry.model_validate(item)
            except ValidationError as exc:
                raise _field_error(exc, f"{source} entry {i + 1}") from None
            if entry.category not in known:
                raise BadCatalogue(f"{source}: entry {entry.id!r}: unknown category {entry.category!r}; "
                                   f"the categories are {', '.join(sorted(known))}")
            if entry.id in seen:
                raise BadCatalogue(f"{source}: entry {entry.id!r} is also defined in {seen[entry.id]}")
            seen[entry.id] = source
            entries.append(entry)
    order = {c.id: i for i, c in enumerate(cats)}  # listed in the categories' order, entries in file order within
    return Catalogue(categories=cats, entries=sorted(entries, key=lambda e: order[e.category]))


def load_catalogue(folder: Path | None = None) -> Catalogue:
    folder = Path(folder) if folder is not None else catalogue_dir()
    files = {p.name: _read(p) for p in sorted(folder.glob("*.yaml")) if p.name != CATEGORIES_FILE}
    return parse_catalogue(_read(folder / CATEGORIES_FILE), files)


@lru_cache(maxsize=4)
def _cached(folder: str) -> Catalogue:
    return load_catalogue(Path(folder))


def default_catalogue() -> Catalogue:
    """The catalogue, read once per folder (recipes validate their ``problems`` against it)."""
    return _cached(str(catalogue_dir()))


def check_problem_ids(ids: list[str]) -> list[str]:
    """``ids`` if each names an entry; else one line naming the first unknown one (a pydantic validator's error)."""
    if not ids:
        return ids
    known = default_catalogue().ids()
    for entry_id in ids:
        if entry_id not in known:
            raise ValueError(f"unknown problem {entry_id!r}; list the catalogue with `interpctf problems`")
    if len(set(ids)) != len(ids):
        raise ValueError("each problem is named once")
    return ids
