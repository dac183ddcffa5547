"""``interpctf doctor`` reports what the host gives the sandbox, and exits non-zero when it cannot run."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from interpctf.cli import app
from interpctf.sandbox import pool
from interpctf.sandbox.cgroup import isolation_mode


def test_doctor_reports_the_isolation_mode(sandbox_ok):
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["isolation_mode"] == isolation_mode()
    assert report["architecture"]
    for name in ("bwrap", "seccomp", "limits", "sandbox"):
        assert checks[name]["ok"] and checks[name]["required"], checks[name]
    assert report["isolation_mode"] in checks["limits"]["detail"]
    assert {"sqlite", "postgresql", "chromium", "chromium-driver"} <= set(checks)


def test_doctor_fails_without_bwrap(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: bwrap cannot be found
    monkeypatch.setattr(pool, "_checked", False)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "bwrap            FAIL bubblewrap (bwrap) is not installed" in result.output
    assert "the sandbox cannot run here" in result.output
