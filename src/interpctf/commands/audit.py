"""``interpctf audit EVENT``: which of an event's challenges, hints and league proposals a black-box
solver wins from the outside."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit_cmd(data: Path = typer.Argument(Path("interpctf-event"), help="event folder (as for serve)"),
                  db: str = typer.Option(None, "--db", help="database URL (default sqlite:///DATA/event.db)"),
                  seconds: float = typer.Option(120.0, help="time budget per solver run")):
        """Rerun the kinds' black-box solvers on every challenge's hints (their data given to the solvers), list
        each league proposal's sandboxed check, and print a table; exit 1 if anything is flagged. Publishing stays the admin's call."""
        from interpctf.server.audit_event import audit_event, audit_table
        from interpctf.server.config import Settings
        from interpctf.server.db import Database

        settings = Settings.from_env(data_dir=data, database_url=db)
        database = Database(settings.url())
        try:
            rows = audit_event(database, settings.data_dir, seconds)
        finally:
            database.dispose()
        typer.echo(audit_table(rows))
        if any(r.flagged for r in rows):
            raise typer.Exit(1)
