"""``interpctf problems`` as a user runs it: the text listing, --category, --json, and a one-line error with exit
code 2 (the one case run as a subprocess, through ``main``)."""

import json
import subprocess
import sys

import pytest

from typer.testing import CliRunner

from interpctf.cli import app


def test_problems_lists_filters_and_prints_json():
    out = CliRunner().invoke(app, ["problems", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert len(rows) >= 30 and {"id", "title", "category", "difficulty", "statement", "links"} <= set(rows[0])
    linked = {c for r in rows for c in r["links"]["challenges"]}
    assert {"pairs-2023", "trojan-detect", "edit-rome-kb"} <= linked
    text = CliRunner().invoke(app, ["problems", "--category", "sparse-autoencoders"])
    assert text.exit_code == 0 and "sae-feature-absorption" in text.stdout and "lab task sae-toy" in text.stdout
    assert "alg-modular-addition" not in text.stdout


@pytest.mark.slow  # a fresh interpreter importing the whole CLI (~8 s); the listing's error is tested in-process
def test_an_unknown_category_is_one_line_and_exit_code_2():
    bad = subprocess.run([sys.executable, "-m", "interpctf.cli", "problems", "--category", "nope"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown category 'nope'")
    assert len(bad.stderr.strip().splitlines()) == 1
