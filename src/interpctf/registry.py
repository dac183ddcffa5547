"""One registry of named extension points, by group: kinds, solvers, queriers, model families, SAE architectures
and lab tasks.

Built-ins are listed here as ``"module:attr"`` strings and imported on first use, so starting the CLI or the
server loads no kind, net or SAE. Third-party packages add entries through the entry point group
``interpctf.<group>`` (e.g. ``[project.entry-points."interpctf.kinds"] parity = "pkg.kind:ParityKind"``). A
name registered twice is an error naming both sources, never a silent replacement.

A kind carries the rest of itself: when the kinds are loaded, each kind's model families, querier and solvers
join their groups under the kind's name (see :mod:`interpctf.kinds`).
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from typing import Literal, TypeVar, cast, get_args

from interpctf.errors import InterpctfError

Group = Literal["kinds", "solvers", "queriers", "model_families", "sae_architectures", "lab_tasks"]
GROUPS: tuple[Group, ...] = get_args(Group)
ENTRY_POINT_PREFIX = "interpctf."

BUILTINS: dict[Group, dict[str, str]] = {
    "kinds": {
        "labelfn": "interpctf.kinds.labelfn.kind:LabelFnKind",
        "trojan": "interpctf.kinds.trojan.kind:TrojanKind",
        "edit": "interpctf.kinds.edit.kind:EditKind",
        "compiled": "interpctf.kinds.compiled.kind:CompiledKind",
    },
    "solvers": {
        "reference": "interpctf.solvers.anchors:REFERENCE",
        "trivial": "interpctf.solvers.anchors:TRIVIAL",
    },
    "queriers": {},
    "model_families": {},
    "sae_architectures": {
        "relu": "interpctf.lab.saes.relu:ReLUSAE",
        "topk": "interpctf.lab.saes.topk:TopKSAE",
        "batchtopk": "interpctf.lab.saes.topk:BatchTopKSAE",
        "jumprelu": "interpctf.lab.saes.jumprelu:JumpReLUSAE",
        "gated": "interpctf.lab.saes.gated:GatedSAE",
        "code": "interpctf.lab.saes.custom:CustomSAE",
    },
    "lab_tasks": {
        "sae-toy": "interpctf.lab.tasks.toy:ToyTask",
        "sae-digits": "interpctf.lab.tasks.digits:DigitsTask",
        "sae-lm": "interpctf.lab.tasks.lm:LMTask",
        "editability": "interpctf.lab.tasks.editability:EditabilityTask",
    },
}

# Run once a group's built-ins and entry points are in ("module:function", called with the registry): the parts
# a kind carries (its solvers, querier, model families) join their groups from the kinds.
LOADERS: dict[Group, tuple[str, ...]] = {
    "solvers": ("interpctf.solvers.registry:register_kind_solvers",),
    "queriers": ("interpctf.kinds:register_kind_queriers",),
    "model_families": ("interpctf.kinds:register_kind_model_families",),
}

T = TypeVar("T")


class DuplicateEntry(InterpctfError):
    """Two sources registered the same name in one group."""


class UnknownEntry(InterpctfError):
    """No entry of that name in the group."""


@dataclass
class Entry:
    target: object  # the object, or a "module:attr" string not imported yet
    source: str  # where it came from, for the duplicate error
    lazy: bool

    def resolve(self) -> object:
        if self.lazy:
            module, _, attr = cast(str, self.target).partition(":")
            obj: object = import_module(module)
            for part in filter(None, attr.split(".")):  # "module" alone names the module itself
                obj = getattr(obj, part)
            self.target, self.lazy = obj, False
        return self.target


class Registry:
    def __init__(self) -> None:
        self._entries: dict[Group, dict[str, Entry]] = {group: {} for group in GROUPS}
        self._loaded: set[Group] = set()
        self._loading: set[Group] = set()
        # re-entrant: a group's loaders read other groups; other threads wait until a group is complete
        self._lock = threading.RLock()

    def register(self, group: Group, name: str, target: object, source: str | None = None) -> None:
        """Add ``name`` to ``group``; ``target`` is the object or a lazy ``"module:attr"`` string."""
        entries = self._group(group)
        lazy = isinstance(target, str)
        source = source or (f"'{target}'" if lazy else _where(target))
        old = entries.get(name)
        if old is not None and not _same(old, target):
            raise DuplicateEntry(f"{group} {name!r} is registered twice: by {old.source} and by {source}; "
                                 f"rename one of them or uninstall one of the packages")
        if old is not None and old.lazy and not lazy:
            old.target, old.lazy = target, False  # a module registering what its lazy entry names
            return
        if old is None:
            entries[name] = Entry(target, source, lazy)

    def get(self, group: Group, name: str) -> object:
        self._load(group)
        entry = self._entries[group].get(name)
        if entry is None:
            known = ", ".join(self.names(group)) or "none"
            raise UnknownEntry(f"unknown {_singular(group)} {name!r}; known {group.replace('_', ' ')}: {known}")
        return entry.resolve()

    def get_as(self, group: Group, name: str, kind: type[T]) -> T:
        """:meth:`get`, checked to be an instance of ``kind`` (for typed callers)."""
        obj = self.get(group, name)
        if not isinstance(obj, kind):
            raise InterpctfError(f"{group} {name!r} ({self.source(group, name)}) is not a {kind.__name__}")
        return obj

    def names(self, group: Group) -> list[str]:
        self._load(group)
        return sorted(self._entries[group])

    def items(self, group: Group) -> dict[str, object]:
        """Every entry of ``group``, imported, by name (sorted)."""
        return {name: self.get(group, name) for name in self.names(group)}

    def source(self, group: Group, name: str) -> str:
        self._load(group)
        return self._entries[group][name].source

    def _group(self, group: Group) -> dict[str, Entry]:
        if group not in self._entries:
            raise InterpctfError(f"unknown registry group {group!r}; groups: {', '.join(GROUPS)}")
        return self._entries[group]

    def _load(self, group: Group) -> None:
        self._group(group)
        if group in self._loaded:
            return
        with self._lock:
            if group in self._loaded or group in self._loading:
                return
            self._loading.add(group)
            try:
                for name, target in BUILTINS[group].items():
                    self.register(group, name, target, source=f"interpctf (built-in {target})")
                for point in entry_points(group=ENTRY_POINT_PREFIX + group):
                    dist = point.dist.name if point.dist is not None else "an unknown distribution"
                    self.register(group, point.name, point.value,
                                  source=f"entry point {point.name} = {point.value} of {dist}")
                for loader in LOADERS.get(group, ()):
                    cast(Callable[[Registry], None], Entry(loader, loader, lazy=True).resolve())(self)
                self._loaded.add(group)
            finally:
                self._loading.discard(group)


def _where(obj: object) -> str:
    module = getattr(obj, "__module__", None) or type(obj).__module__
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{module}:{name}"


def _same(entry: Entry, target: object) -> bool:
    """Whether ``target`` is what ``entry`` already names: registering it again (a module's decorator running on
    import, next to the lazy entry or entry point that names it) is no duplicate."""
    if not entry.lazy and not isinstance(target, str):
        return entry.target is target or bool(entry.target == target)
    here = str(entry.target) if entry.lazy else _where(entry.target)
    there = target if isinstance(target, str) else _where(target)
    if here == there:
        return True
    # "pkg:Name" (an entry point naming what pkg re-exports) and "pkg.module:Name" (where it is defined)
    (here_module, _, here_attr), (there_module, _, there_attr) = here.partition(":"), there.partition(":")
    return here_attr == there_attr != "" and here_module.split(".")[0] == there_module.split(".")[0]


def _singular(group: Group) -> str:
    return {"kinds": "kind", "solvers": "solver", "queriers": "querier", "model_families": "model family",
            "sae_architectures": "SAE architecture", "lab_tasks": "lab task"}[group]


registry = Registry()


def register(group: Group, name: str | None = None) -> Callable[[T], T]:
    """Decorator: ``@register("kinds")`` adds a class under ``name`` (default: its ``name`` attribute)."""

    def add(obj: T) -> T:
        registry.register(group, name or str(getattr(obj, "name", None) or getattr(obj, "__name__")), obj)
        return obj

    return add


__all__ = ["GROUPS", "BUILTINS", "LOADERS", "Group", "Registry", "DuplicateEntry", "UnknownEntry", "registry", "register"]
