"""Suites: which forged challenges a benchmark runs on.

A suite is a folder of forged challenges (any depth; each a ``bundle/`` beside its ``key.json``, as
``interpctf forge`` writes them), or a suite YAML listing recipes x seeds, forged once and cached.
``reference`` names ``recipes/suites/reference.yaml``.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interpctf.bundle import KEY_NAME, MANIFEST_NAME, read_manifest, verify
from interpctf.canonical import sha256_hex
from interpctf.errors import InterpctfError, one_line
from interpctf.forge import forge
from interpctf.progress import Progress, SilentProgress
from interpctf.recipe import parse_recipe, validation_message
from interpctf.reference import RECIPES_DIR, cache_root
from interpctf.solvers.budget import SolverBudget

SUITES_DIR = RECIPES_DIR / "suites"


class SuiteRecipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipe: str = Field(description="a recipe in recipes/ by name (pairs-2023), or a path to a YAML recipe")
    seeds: list[int] = Field(min_length=1, max_length=100)


class SuiteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    recipes: list[SuiteRecipe] = Field(min_length=1)
    budget: SolverBudget = Field(default_factory=SolverBudget)


@dataclass(frozen=True)
class SuiteChallenge:
    id: str
    kind: str
    bundle_dir: Path
    key_path: Path


@dataclass(frozen=True)
class Suite:
    name: str
    challenges: list[SuiteChallenge]
    budget: SolverBudget | None  # the suite's own per-challenge budget, if it names one


def distinct_ids(challenges: list[SuiteChallenge]) -> list[SuiteChallenge]:
    """The same challenge forged twice (or copied) keeps its id; results need one name per entry: id#2, id#3."""
    from dataclasses import replace

    seen: dict[str, int] = {}
    out = []
    for ch in challenges:
        seen[ch.id] = seen.get(ch.id, 0) + 1
        out.append(ch if seen[ch.id] == 1 else replace(ch, id=f"{ch.id}#{seen[ch.id]}"))
    return out


def discover(folder: Path) -> list[SuiteChallenge]:
    out = []
    for key in sorted(Path(folder).rglob(KEY_NAME)):
        bundle = key.parent / "bundle"
        if (bundle / MANIFEST_NAME).is_file():
            out.append(SuiteChallenge(read_manifest(bundle).id, read_manifest(bundle).kind, bundle, key))
    if not out:
        raise InterpctfError(f"{folder} holds no forged challenges (bundle/ beside key.json); forge some first")
    return out


def read_spec(path: Path) -> SuiteSpec:
    try:
        return SuiteSpec.model_validate(yaml.safe_load(Path(path).read_text()))
    except OSError as exc:
        raise InterpctfError(f"cannot read suite {path}: {one_line(exc)}") from None
    except yaml.YAMLError as exc:
        raise InterpctfError(f"{path} is not valid YAML: {one_line(exc)}") from None
    except ValidationError as exc:
        raise InterpctfError(validation_message(exc, str(path))) from None


def _recipe_file(name: str, base: Path) -> Path:
    for candidate in (RECIPES_DIR / f"{name}.yaml", base / name, Path(name)):
        if candidate.is_file():
            return candidate
    raise InterpctfError(f"suite names recipe {name!r}, found neither in {RECIPES_DIR} nor as a file")


def forge_spec(spec: SuiteSpec, base: Path, cache_dir: Path | None = None,
               progress: Progress | None = None) -> list[SuiteChallenge]:
    """Forge every recipe x seed (no baselines: the benchmark runs them), reusing cached forges that verify."""
    import shutil


    cache = Path(cache_dir or cache_root() / "suites")
    out = []
    for item in spec.recipes:
        path = _recipe_file(item.recipe, base)
        data = yaml.safe_load(path.read_text())
        for seed in item.seeds:
            slug = f"{path.stem}-s{seed}"
            folder = cache / f"{slug}-{sha256_hex(path.read_bytes())[:12]}"
            if not ((folder / KEY_NAME).exists() and verify(folder / "bundle", folder / KEY_NAME).ok):
                shutil.rmtree(folder, ignore_errors=True)
                forge(parse_recipe({**data, "seed": seed, "variants": 1}, str(path)), folder, slug,
                      progress or SilentProgress(), run_baselines=False)
            out.extend(discover(folder))
    return out


def load_suite(arg: str, cache_dir: Path | None = None, progress: Progress | None = None) -> Suite:
    path = SUITES_DIR / f"{arg}.yaml" if (SUITES_DIR / f"{arg}.yaml").is_file() else Path(arg)
    if path.is_dir():
        return Suite(path.name, discover(path), None)
    if path.is_file() and path.suffix in (".yaml", ".yml"):
        spec = read_spec(path)
        return Suite(spec.name, forge_spec(spec, path.parent, cache_dir, progress), spec.budget)
    names = ", ".join(sorted(p.stem for p in SUITES_DIR.glob("*.yaml")))
    raise InterpctfError(f"no suite {arg!r}: give a folder of forged challenges, a suite YAML, or one of: {names}")
