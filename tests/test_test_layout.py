"""The test tree itself: pytest imports every test folder's modules by bare name (rootdir-relative "prepend" mode,
no packages), so two modules of one name in different folders, or a test importing ``conftest`` by name, break as
soon as those folders are collected in one run."""

import re
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SKIP_PARTS = {"fixtures", "__pycache__"}


def _modules() -> list[Path]:
    return [p for p in TESTS.rglob("*.py") if not SKIP_PARTS & set(p.relative_to(TESTS).parts)]


def _bare_named(path: Path) -> bool:
    """Imported under its bare name: its folder is no package (a package's modules are named by their path)."""
    return not (path.parent / "__init__.py").exists()


def test_module_basenames_are_unique_across_folders():
    counts = Counter(p.name for p in _modules() if p.name != "conftest.py" and _bare_named(p))
    clashes = sorted(name for name, n in counts.items() if n > 1)
    assert not clashes, f"module names used in more than one tests/ folder: {clashes}"


def test_no_module_imports_conftest_by_name():
    pattern = re.compile(r"^\s*(from\s+conftest\s+import|import\s+conftest\b)", re.MULTILINE)
    offenders = sorted(str(p.relative_to(TESTS)) for p in _modules() if pattern.search(p.read_text()))
    assert not offenders, f"import helpers from a module of its own name, not conftest: {offenders}"
