"""The ``interpctf`` command. Subcommands stay thin: they parse arguments and call the library.

Each area adds its commands in its own module under :mod:`interpctf.commands` and is listed in ``_COMMAND_GROUPS``.
"""

import sys
from importlib import import_module

import typer

from interpctf.errors import InterpctfError, one_line

app = typer.Typer(help="interpctf: forge, host and grade interpretability challenges.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)

# module -> name of the typer app it exports; None mounts its commands at the top level.
_COMMAND_GROUPS: list[tuple[str, str | None]] = [
    ("interpctf.commands.challenge", None),
    ("interpctf.commands.walkthrough", None),
    ("interpctf.commands.editing", "editing"),
    ("interpctf.commands.lab", "lab"),
    ("interpctf.commands.report", "report"),
    ("interpctf.commands.server", None),
    ("interpctf.commands.client", None),
    ("interpctf.commands.demo", None),
    ("interpctf.commands.bench", None),
    ("interpctf.commands.doctor", None),
    ("interpctf.commands.problems", None),
    ("interpctf.commands.audit", None),
]

for module_name, group in _COMMAND_GROUPS:
    module = import_module(module_name)
    if group is None:
        module.register(app)
    else:
        app.add_typer(module.app, name=group)


def main() -> None:
    try:
        app()
    except InterpctfError as exc:
        typer.echo(f"error: {one_line(exc)}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
