"""The example third-party kind (examples/interpctf-kind-parity): installed into the venv by scripts/setup.sh,
found through its entry point alone, passing its own test suite (the kind contract), and hosted by the server."""

import importlib.util
import json
import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution, entry_points
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "examples" / "interpctf-kind-parity"
DIST = "interpctf-kind-parity"


@pytest.fixture(scope="module")
def installed() -> None:
    try:
        distribution(DIST)
    except PackageNotFoundError:
        pytest.fail(f"{DIST} is not installed in this venv; run scripts/setup.sh (it installs {PACKAGE.name} "
                    f"editable)")


def test_entry_point_is_discovered(installed):
    from interpctf.kinds import get_kind, kind_names
    from interpctf.registry import registry

    points = {p.name: p.value for p in entry_points(group="interpctf.kinds")}
    assert points.get("parity") == "interpctf_kind_parity:ParityKind"
    assert "parity" in kind_names()
    assert type(get_kind("parity")).__module__ == "interpctf_kind_parity.kind"
    # found through the entry point of its own distribution, not a built-in listing
    assert registry.source("kinds", "parity").startswith("entry point parity") and DIST in registry.source(
        "kinds", "parity")
    # the parts the kind carries join their groups: its model family and its querier
    assert "parity-mlp" in registry.names("model_families") and "parity" in registry.names("queriers")


def test_adding_the_kind_touched_nothing_outside_its_package():
    """interpctf itself neither names the package nor lists the kind: the entry point is the whole integration."""
    from interpctf.registry import BUILTINS

    assert all("parity" not in names for names in BUILTINS.values())
    mentions = [path.relative_to(ROOT).as_posix() for path in (ROOT / "src").rglob("*")
                if path.is_file() and path.suffix in {".py", ".toml", ".yaml", ".cfg", ".txt"}
                and "interpctf_kind_parity" in path.read_text(errors="ignore")]
    assert mentions == []
    assert "interpctf_kind_parity" not in (ROOT / "pyproject.toml").read_text()


def test_example_package_suite_passes(installed):
    """Its own tests, as its authors run them: ``python -m pytest examples/interpctf-kind-parity/tests``."""
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(PACKAGE / "tests")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    tail = (run.stdout + run.stderr)[-3000:]
    assert run.returncode == 0, tail
    counts = dict((word, int(n)) for n, word in re.findall(r"(\d+) (passed|failed|error|skipped)", run.stdout))
    assert counts.get("passed", 0) >= 20 and not counts.get("failed") and not counts.get("error"), tail


# ---- hosted by the server ----------------------------------------------------------------------------------
def _server_helpers():
    """tests/server/server_support.py's helpers (make_server, player, wait_graded), loaded from its path."""
    folder = ROOT / "tests" / "server"
    sys.path.insert(0, str(folder))  # its own imports (tiny) resolve as when pytest loads it
    try:
        spec = importlib.util.spec_from_file_location("interpctf_server_test_helpers", folder / "server_support.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))  # the tests of this folder import nothing of the server's by name
    return module


@pytest.fixture(scope="module")
def parity_forged(installed, tmp_path_factory) -> Path:
    from interpctf.forge import forge
    from interpctf.kinds import kind_class
    from interpctf.recipe import load_recipe

    out = tmp_path_factory.mktemp("parity-served") / "parity"
    forge(load_recipe(kind_class("parity").reference_recipe_path()), out, "parity")
    return out


def test_served_event_grades_a_parity_answer_over_http(parity_forged, tmp_path):
    helpers = _server_helpers()
    spec = helpers.event_spec(parity_forged, challenges=[
        {"slug": "parity", "forged": str(parity_forged), "category": "toy", "value": {"initial": 100}}])
    server = helpers.make_server(tmp_path, f"sqlite:///{tmp_path / 'event.db'}", spec)
    try:
        client = helpers.player(server, "pat")
        listed = client.get("/api/v1/challenges").json()
        assert any(c["slug"] == "parity" for c in (listed if isinstance(listed, list) else listed["challenges"]))

        r = client.post("/api/v1/challenges/parity/submissions", files={"file": ("bad.json", b'{"bits": [99]}')})
        assert r.status_code == 422 and "out of range" in r.json()["detail"] and "\n" not in r.json()["detail"]

        r = client.post("/api/v1/challenges/parity/submissions", files={"file": ("empty.json", b'{"bits": []}')})
        assert r.status_code == 202, r.text
        wrong = helpers.wait_graded(client, r.json()["id"])
        assert wrong["status"] == "graded" and wrong["public_solved"] is False

        key = json.loads((parity_forged / "key.json").read_text())
        answer = {"bits": key["secret"]["bits"]}
        r = client.post("/api/v1/challenges/parity/submissions/json",
                        json={"filename": "bits.json", "content": json.dumps(answer)})
        assert r.status_code == 202, r.text
        right = helpers.wait_graded(client, r.json()["id"])
        assert right["status"] == "graded" and right["public_solved"] is True and right["public_score"] == 1.0
    finally:
        server.client.__exit__(None, None, None)
