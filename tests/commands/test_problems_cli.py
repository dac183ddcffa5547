"""``interpctf problems`` as a user runs it: the text listing, --category, --json, and a one-line error."""

import json
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "interpctf.cli", "problems", *args], capture_output=True, text=True,
                          timeout=300)


def test_problems_lists_filters_and_prints_json():
    out = run("--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) >= 30 and {"id", "title", "category", "difficulty", "statement", "links"} <= set(rows[0])
    linked = {c for r in rows for c in r["links"]["challenges"]}
    assert {"pairs-2023", "trojan-detect", "edit-rome-kb"} <= linked
    text = run("--category", "sparse-autoencoders")
    assert text.returncode == 0 and "sae-feature-absorption" in text.stdout and "lab task sae-toy" in text.stdout
    assert "alg-modular-addition" not in text.stdout
    bad = run("--category", "nope")
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown category 'nope'")
    assert len(bad.stderr.strip().splitlines()) == 1
