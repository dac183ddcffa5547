"""``interpctf walkthrough``: the whole life of a challenge, offline, on the reference recipes."""

from pathlib import Path

import typer
from rich.table import Table

from interpctf.bundle import open_challenge, read_key, read_manifest, verify
from interpctf.console import RichProgress, console
from interpctf.grading import check_plant, grade_file
from interpctf.reference import LABELFN_REFERENCES, forged_reference
from interpctf.schema import AnswerFile


def register(app: typer.Typer) -> None:
    @app.command("walkthrough")
    def walkthrough_cmd(cache: Path = typer.Option(None, help="where forged challenges are cached"),
                        quiet: bool = typer.Option(False, "-q")):
        """Forge the reference challenges (cached), check each plant, grade answers, verify the commitment."""
        progress = RichProgress(quiet)
        table = Table(title="interpctf walkthrough")
        table.add_column("challenge", no_wrap=True)
        for column in ("held-out acc.", "secret rule", "template", "constant", "black-box", "commitment"):
            table.add_column(column)
        for name in LABELFN_REFERENCES:
            console.rule(f"[bold]{name}")
            out = forged_reference(name, cache, progress)
            challenge = open_challenge(out / "bundle", out / "key.json")
            manifest = read_manifest(out / "bundle")
            check = check_plant(challenge)
            template = (out / "bundle" / "examples" / "answer_template.py").read_bytes()
            tried = grade_file(None, AnswerFile("answer_template.py", template), challenge)
            report = verify(out / "bundle", out / "key.json")
            ref = check["reference"]
            base = check["baselines"]
            table.add_row(
                manifest.id, f"{read_key(out / 'key.json').metrics['heldout_accuracy']:.2%}",
                f"{ref.score:.3f} {'solved' if ref.solved else 'NOT SOLVED'}", f"{tried.score:.3f}",
                f"{base['constant'].score:.3f}", f"{base['blackbox'].score:.3f}",
                "verified" if report.ok else "MISMATCH")
            console.print(f"bundle: {out / 'bundle'}\nkey:    {out / 'key.json'}")
        console.print(table)
        console.print("Next: `interpctf show BUNDLE`, write an answer, `interpctf grade BUNDLE KEY ANSWER`.")
