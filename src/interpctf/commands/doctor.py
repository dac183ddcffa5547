"""``interpctf doctor``: what this host gives the sandbox and the tests, and whether answers can be graded here."""

from __future__ import annotations

import glob
import platform
import shutil
import sqlite3
import subprocess

import typer
from pydantic import BaseModel


class Check(BaseModel):
    name: str
    ok: bool
    detail: str
    required: bool = False  # without it no answer can be graded here


class Report(BaseModel):
    architecture: str
    python: str
    checks: list[Check]
    isolation_mode: str | None = None

    @property
    def sandbox_ok(self) -> bool:
        return all(c.ok for c in self.checks if c.required)


def _bwrap() -> Check:
    from interpctf.errors import SandboxUnavailable
    from interpctf.sandbox.launcher import find_bwrap

    try:
        path = find_bwrap()
    except SandboxUnavailable as exc:
        return Check(name="bwrap", ok=False, detail=str(exc), required=True)
    run = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    return Check(name="bwrap", ok=True, detail=f"{run.stdout.strip() or 'unknown version'} ({path})", required=True)


def _seccomp() -> Check:
    from interpctf.errors import SandboxUnavailable
    from interpctf.sandbox import seccomp

    try:
        seccomp.check()
        detail = (f"libseccomp {seccomp.version()}, filters for {seccomp.native_arch()} "
                  f"({len(seccomp.sandbox_filter()) // 8} + {len(seccomp.answer_filter()) // 8} instructions)")
        return Check(name="seccomp", ok=True, detail=detail, required=True)
    except SandboxUnavailable as exc:
        return Check(name="seccomp", ok=False, detail=str(exc), required=True)


def _limits() -> tuple[Check, str | None]:
    from interpctf.sandbox import Limits
    from interpctf.sandbox.cgroup import ResourceGroup

    limits = Limits()
    try:
        group = ResourceGroup.create("doctor", limits.memory_bytes, limits.processes)
    except OSError as exc:
        return Check(name="limits", ok=False, detail=f"cannot budget memory: {exc}", required=True), None
    try:
        group.set_limits(limits.memory_bytes, limits.processes)
        how = {"cgroup-v2": "a cgroup v2 group (memory.max, pids.max)",
               "cgroup-v1": "cgroup v1 memory and pids groups (memory.limit_in_bytes, pids.max)",
               "watchdog": "a watchdog summing every answer process's memory (no writable cgroup here)"}[group.mode]
        detail = (f"{group.mode}: each answer's processes together get {limits.memory_bytes >> 20} MiB and "
                  f"{limits.processes} processes, through {how}")
        return Check(name="limits", ok=True, detail=detail, required=True), group.mode
    finally:
        group.close()


def _sandbox_runs() -> Check:
    from interpctf.errors import SandboxUnavailable
    from interpctf.sandbox import check_available

    try:
        check_available()
        return Check(name="sandbox", ok=True, detail="a warm sandbox started and graded an answer", required=True)
    except SandboxUnavailable as exc:
        return Check(name="sandbox", ok=False, detail=str(exc), required=True)


def _database() -> list[Check]:
    servers = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres")) or [p for p in [shutil.which("postgres")] if p]
    try:
        import psycopg

        driver = f"psycopg {psycopg.__version__}"
    except ImportError:
        driver = "no psycopg driver"
    return [
        Check(name="sqlite", ok=True, detail=f"SQLite {sqlite3.sqlite_version}"),
        Check(name="postgresql", ok=bool(servers),
              detail=f"server binaries {', '.join(servers)}; {driver}" if servers else
              f"no PostgreSQL server binaries (apt-get install postgresql; only its tests need them); {driver}"),
    ]


def _browser() -> list[Check]:
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if glob.glob("/usr/bin/chromium") else None)
    driver = shutil.which("chromedriver")
    return [
        Check(name="chromium", ok=chromium is not None,
              detail=chromium or "not found (apt-get install chromium; only the browser tests need it)"),
        Check(name="chromium-driver", ok=driver is not None,
              detail=driver or "not found (apt-get install chromium-driver; only the browser tests need it)"),
    ]


def diagnose() -> Report:
    """Run every check; the sandbox's own checks stop at the first failure (the later ones need it)."""
    checks = [_bwrap(), _seccomp()]
    mode = None
    if all(c.ok for c in checks):
        limits, mode = _limits()
        checks.append(limits)
        if limits.ok:
            checks.append(_sandbox_runs())
    checks += _database() + _browser()
    return Report(architecture=platform.machine(), python=platform.python_version(), checks=checks,
                  isolation_mode=mode)


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor_cmd(as_json: bool = typer.Option(False, "--json", help="print the report as JSON")):
        """Check this host: architecture, bwrap, seccomp, the isolation mode (cgroup v2/v1 or watchdog) and the
        limits it sets, the database and the browser for the tests. Exits 1 if answers cannot be graded here."""
        report = diagnose()
        if as_json:
            typer.echo(report.model_dump_json(indent=1))
        else:
            typer.echo(f"architecture     {report.architecture} (Python {report.python})")
            for check in report.checks:
                mark = "ok  " if check.ok else ("FAIL" if check.required else "--  ")
                typer.echo(f"{check.name:<16} {mark} {check.detail}")
            typer.echo("the sandbox can grade answers here" if report.sandbox_ok else
                       "the sandbox cannot run here: answers will not be graded")
        raise typer.Exit(0 if report.sandbox_ok else 1)
