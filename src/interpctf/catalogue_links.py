"""Which challenges and lab tasks instantiate each catalogue entry: the reference recipes' and lab configs'
``problems``, the lab tasks' ``problems``, and the entries' own ``challenges`` / ``lab_tasks``. Links to a
missing challenge or task are refused with one line."""

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from interpctf.catalogue import BadCatalogue, Catalogue

RECIPES_DIR = Path(__file__).resolve().parents[2] / "recipes"  # a checkout's reference recipes (absent installed)


@dataclass
class Links:
    challenges: list[str] = field(default_factory=list)  # reference recipe slugs
    lab_tasks: list[str] = field(default_factory=list)  # registered lab task names
    lab_configs: list[str] = field(default_factory=list)  # recipes/lab/*.yaml, by file name


def _problems_of(path: Path) -> list[str]:
    """A recipe's or lab config's ``problems`` as written (a sweep grid keeps them in ``base``)."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BadCatalogue(f"cannot read {path}: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("base"), dict) and "problems" not in data:
        data = data["base"]
    value = data.get("problems", []) if isinstance(data, dict) else []
    return [str(v) for v in value] if isinstance(value, list) else []


def recipe_problems(recipes_dir: Path | None = None) -> dict[str, list[str]]:
    folder = Path(recipes_dir or RECIPES_DIR)
    return {p.stem: _problems_of(p) for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


def lab_config_problems(recipes_dir: Path | None = None) -> dict[str, list[str]]:
    folder = Path(recipes_dir or RECIPES_DIR) / "lab"
    return {p.name: _problems_of(p) for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


def task_problems() -> dict[str, list[str]]:
    from interpctf.lab.tasks import task_classes  # (the lab imports torch; only when asked)
    return {name: list(cls.problems) for name, cls in task_classes().items()}


def build_links(catalogue: Catalogue, recipes: dict[str, list[str]], tasks: dict[str, list[str]],
                lab_configs: dict[str, list[str]] | None = None) -> dict[str, Links]:
    """Entry id -> its links; one line on an unknown id in a recipe or task, or an entry linking to a missing
    challenge or task."""
    known = catalogue.ids()
    out = {e.id: Links() for e in catalogue.entries}
    sides = (("challenges", "recipe", recipes), ("lab_tasks", "lab task", tasks),
             ("lab_configs", "lab config", lab_configs or {}))
    for attr, what, named in sides:
        for name, ids in named.items():
            for entry_id in ids:
                if entry_id not in known:
                    raise BadCatalogue(f"{what} {name!r} names unknown problem {entry_id!r}; list them with "
                                       f"`interpctf problems`")
                getattr(out[entry_id], attr).append(name)
    for e in catalogue.entries:
        for slug in e.challenges:
            if slug not in recipes:
                raise BadCatalogue(f"catalogue entry {e.id!r} links to challenge {slug!r}, which is not a reference "
                                   f"recipe (recipes/{slug}.yaml)")
            if slug not in out[e.id].challenges:
                out[e.id].challenges.append(slug)
        for task in e.lab_tasks:
            if task not in tasks:
                raise BadCatalogue(f"catalogue entry {e.id!r} links to lab task {task!r}, which is not registered; "
                                   f"the tasks are {', '.join(sorted(tasks))}")
            if task not in out[e.id].lab_tasks:
                out[e.id].lab_tasks.append(task)
    return out


def default_links(catalogue: Catalogue) -> dict[str, Links]:
    return build_links(catalogue, recipe_problems(), task_problems(), lab_config_problems())


def listing(category: str | None = None, catalogue: Catalogue | None = None) -> list[dict]:
    """The entries (of one category, or all) with their links, as JSON-ready dicts (CLI and server)."""
    from interpctf.catalogue import default_catalogue
    catalogue = catalogue or default_catalogue()
    links = default_links(catalogue)
    return [{**e.model_dump(exclude={"challenges", "lab_tasks"}), "links": {
        "challenges": links[e.id].challenges, "lab_tasks": links[e.id].lab_tasks,
        "lab_configs": links[e.id].lab_configs}} for e in catalogue.in_category(category)]
