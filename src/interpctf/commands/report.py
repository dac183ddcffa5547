"""``interpctf report ...``: reports over the lab's stored runs."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="Reports over stored runs: humans and agents compared on a lab task.", no_args_is_help=True)


@app.command()
def compare(task: str = typer.Option(..., "--task", help="a lab task, e.g. sae-toy"),
            out: Path = typer.Option(Path("report"), "--out", help="folder for the table (markdown, CSV) and PNG"),
            runs_dir: Optional[Path] = typer.Option(None, "--runs-dir",
                                                    help="runs store (default $INTERPCTF_LAB_DIR or ./.interpctf/lab)"),
            ) -> None:
    """Best normalized score so far (0 = the task's baseline, 1 = its reference) against wall time and experiments
    used, one line per participant's session."""
    from interpctf.lab.compare import write_compare

    paths = write_compare(task, out, runs_dir)
    typer.echo(paths["markdown"].read_text(), nl=False)
    for p in paths.values():
        typer.echo(f"wrote {p}")
