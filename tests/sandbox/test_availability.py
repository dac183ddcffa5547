"""Without bubblewrap nothing runs: every entry point refuses with a one-line reason."""

from __future__ import annotations

import pytest

from interpctf.errors import SandboxUnavailable
from interpctf.sandbox import WarmSandbox, check_available, launcher, pool


@pytest.fixture
def no_bwrap(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: bwrap cannot be found
    monkeypatch.setattr(pool, "_pool", None)  # a fresh shared pool, as in a new process
    monkeypatch.setattr(pool, "_checked", False)


def test_check_available_refuses_without_bwrap(no_bwrap):
    with pytest.raises(SandboxUnavailable) as info:
        check_available()
    assert str(info.value) == "bubblewrap (bwrap) is not installed: run 'apt-get install bubblewrap'"


def test_map_function_never_runs_unisolated(no_bwrap, tmp_path):
    marker = tmp_path / "ran"
    source = f"open({str(marker)!r}, 'w').write('x')\ndef label(x, y):\n    return 1\n"
    with pytest.raises(SandboxUnavailable):
        pool.map_function(source, "label", [[1, 2]], unpack=True)
    with pytest.raises(SandboxUnavailable):
        WarmSandbox().map(source, "label", [[1, 2]], unpack=True)
    assert not marker.exists()


def test_a_broken_bwrap_is_reported(monkeypatch, tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pool, "_checked", False)
    with pytest.raises(SandboxUnavailable) as info:
        check_available()
    assert "bubblewrap cannot create namespaces here" in str(info.value)
    assert "\n" not in str(info.value)


def test_seccomp_is_required(monkeypatch):
    monkeypatch.setattr(launcher.seccomp.platform, "machine", lambda: "sparc64")
    with pytest.raises(SandboxUnavailable, match="no seccomp policy for the sparc64 architecture"):
        WarmSandbox().start()
