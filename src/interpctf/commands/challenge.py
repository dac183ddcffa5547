"""Challenge commands: forge, show, verify, grade, check, pack, unpack."""

import json
from pathlib import Path

import typer

from interpctf.bundle import open_challenge, pack, read_manifest, unpack, verify
from interpctf.console import RichProgress
from interpctf.errors import BadAnswer, one_line
from interpctf.forge import forge
from interpctf.grading import check_plant, grade_file, recheck_bars
from interpctf.recipe import load_recipe, recipe_slug
from interpctf.schema import AnswerFile


def read_answer(path: Path) -> AnswerFile:
    try:
        return AnswerFile(Path(path).name, Path(path).read_bytes())
    except OSError as exc:
        raise BadAnswer(f"cannot read answer {path}: {one_line(exc)}") from None


def _print_json(obj) -> None:
    typer.echo(json.dumps(obj, indent=1, sort_keys=True))


def register(app: typer.Typer) -> None:
    @app.command("forge")
    def forge_cmd(recipe: Path = typer.Argument(..., help="recipe YAML"),
                  out: Path = typer.Option(..., "-o", "--out", help="output folder: bundle/ and key.json go here"),
                  no_baselines: bool = typer.Option(False, help="skip running the baseline solvers"),
                  calibrate: bool = typer.Option(False, "--calibrate", help="record in the manifest which baselines "
                                                 "solve it, black-box vs white-box"),
                  quiet: bool = typer.Option(False, "-q", help="no progress bars")):
        """Train a model with a planted secret: writes OUT/bundle/ (public) and OUT/key.json (secret).

        Runs in-process, unsandboxed: for your own recipes only (a league forges proposals in the sandbox)."""
        parsed = load_recipe(recipe)
        folders = forge(parsed, out, recipe_slug(recipe), RichProgress(quiet), run_baselines=not no_baselines,
                        calibrate=calibrate)
        for folder in folders:
            m = read_manifest(folder / "bundle")
            typer.echo(f"forged {m.id}: bundle {folder / 'bundle'}  key {folder / 'key.json'}  "
                       f"commitment {m.commitment[:16]}…")
            if m.calibration is not None:
                typer.echo(f"  calibration: black-box solvable {'YES' if m.calibration.black_box_solvable else 'no'}"
                           f", white-box solvable {'YES' if m.calibration.white_box_solvable else 'no'}")

    @app.command("show")
    def show_cmd(bundle: Path, as_json: bool = typer.Option(False, "--json")):
        """Print a bundle's manifest and challenge card."""
        challenge = open_challenge(bundle)
        if as_json:
            _print_json(challenge.manifest.model_dump(mode="json"))
            return
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown((challenge.bundle_dir / "README.md").read_text()))

    @app.command("verify")
    def verify_cmd(bundle: Path, key: Path, as_json: bool = typer.Option(False, "--json")):
        """Check a revealed key against the commitment published in the bundle (exit 1 if it does not match)."""
        report = verify(bundle, key)
        if as_json:
            _print_json(report.model_dump())
        elif report.ok:
            typer.echo(f"OK: the key matches commitment {report.commitment_expected}")
        else:
            for problem in report.problems:
                typer.echo(f"FAILED: {problem}", err=True)
        raise typer.Exit(0 if report.ok else 1)

    @app.command("grade")
    def grade_cmd(bundle: Path, key: Path, answer: Path, as_json: bool = typer.Option(False, "--json")):
        """Grade an answer locally against a key."""
        challenge = open_challenge(bundle, key)
        grade = grade_file(None, read_answer(answer), challenge)
        if as_json:
            _print_json(grade.model_dump(mode="json"))
            return
        verdict = "SOLVED" if grade.solved else "not solved"
        typer.echo(f"score {grade.score:.4f} ({verdict})")
        for name, value in grade.details.items():
            typer.echo(f"  {name}: {value}")

    @app.command("check")
    def check_cmd(bundle: Path, key: Path, as_json: bool = typer.Option(False, "--json")):
        """Check the plant: the key's reference answer must be solved, every quality bar the key records must
        hold on the published model (re-measured); baselines should not solve it. Exit 1 if the plant fails."""
        challenge = open_challenge(bundle, key)
        result = check_plant(challenge)
        bars = recheck_bars(challenge)
        bars_ok = all(c.met for c in bars)
        if as_json:
            _print_json({"reference": result["reference"].model_dump(mode="json"),
                         "baselines": {k: g.model_dump(mode="json") for k, g in result["baselines"].items()},
                         "bars": [c.model_dump(mode="json") for c in bars], "bars_met": bars_ok})
        else:
            ref = result["reference"]
            typer.echo(f"reference answer: score {ref.score:.4f} {'SOLVED' if ref.solved else 'NOT SOLVED'}")
            if challenge.key.quality is None:
                typer.echo("quality bars: none recorded (the key was forged before bars)")
            for c in bars:
                typer.echo(f"bar {c.line()} [{c.source}]")
            for name, g in result["baselines"].items():
                typer.echo(f"baseline {name}: score {g.score:.4f} {'SOLVED' if g.solved else 'not solved'}")
        raise typer.Exit(0 if result["reference"].solved and bars_ok else 1)

    @app.command("pack")
    def pack_cmd(bundle: Path, out: Path = typer.Option(None, "-o", "--out")):
        """Pack a bundle folder into a .tar.gz."""
        manifest = read_manifest(bundle)
        typer.echo(str(pack(bundle, out or Path(f"{manifest.id}.tar.gz"))))

    @app.command("unpack")
    def unpack_cmd(archive: Path, dest: Path = typer.Option(Path("."), "-d", "--dest")):
        """Unpack a bundle .tar.gz (refuses absolute paths, '..' and links)."""
        typer.echo(str(unpack(archive, dest)))
