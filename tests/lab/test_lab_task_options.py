"""``--option KEY=VALUE``: task options from the command line, typed as YAML, bad ones refused in one line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from interpctf.cli import app
from interpctf.errors import InterpctfError
from interpctf.lab.task_options import parse_task_options


def test_options_are_parsed_as_yaml_values():
    assert parse_task_options(["n_edits=10", "stats_docs = 200", "corpus=a.txt"]) == {
        "n_edits": 10, "stats_docs": 200, "corpus": "a.txt"}
    assert parse_task_options([]) == {}


@pytest.mark.parametrize("pair, match", [("n_edits", "expected KEY=VALUE"), ("=3", "expected KEY=VALUE"),
                                         ("n_edits=[1", "--option n_edits: '\\[1' is not a value")])
def test_malformed_options_are_one_line_errors(pair, match):
    with pytest.raises(InterpctfError, match=match):
        parse_task_options([pair])


def test_lab_run_refuses_an_option_the_task_does_not_have(tmp_path):
    result = CliRunner().invoke(app, ["lab", "run", "editability", "--option", "n_edit=3",
                                      "--runs-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, InterpctfError)  # the CLI's main prints these as one line
    assert str(result.exception) == "--n_edit: Extra inputs are not permitted"
