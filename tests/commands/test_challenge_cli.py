"""The challenge commands as a user runs them: exit codes, --json shapes, one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

TINY = """kind: labelfn
title: Tiny
domain: pairs
p: 23
seed: 3
training: {steps: 150, batch_size: 256}
secret: |
  def label(x, y):
      return int(x < 12) ^ int((7 * x + 5 * y) % 61 == 0)
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "interpctf.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    work = tmp_path_factory.mktemp("cli")
    (work / "tiny.yaml").write_text(TINY)
    result = run("forge", "tiny.yaml", "-o", "out", "-q", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "forged tiny" in result.stdout
    return work


def test_grade_json_shape(tiny):
    key = json.loads((tiny / "out" / "key.json").read_text())
    (tiny / "answer.py").write_text(key["secret"]["rule_source"])
    result = run("grade", "out/bundle", "out/key.json", "answer.py", "--json", cwd=tiny)
    assert result.returncode == 0, result.stderr
    grade = json.loads(result.stdout)
    assert set(grade) == {"score", "solved", "details"}
    assert grade["score"] == 1.0 and grade["solved"] is True


def test_check_json_shape(tiny):
    result = run("check", "out", "out", "--json", cwd=tiny)
    assert result.returncode == 0, result.stderr
    check = json.loads(result.stdout)
    assert check["reference"]["solved"] is True
    assert set(check["baselines"]) == {"constant", "blackbox"}


def test_verify_ok_and_tampered(tiny):
    assert run("verify", "out/bundle", "out/key.json", cwd=tiny).returncode == 0
    key = json.loads((tiny / "out" / "key.json").read_text())
    key["salt"] = "00" * 32
    (tiny / "bad-key.json").write_text(json.dumps(key))
    result = run("verify", "out/bundle", "bad-key.json", cwd=tiny)
    assert result.returncode == 1 and "commitment" in result.stderr


def test_show_prints_the_card(tiny):
    result = run("show", "out/bundle", cwd=tiny)
    assert result.returncode == 0 and "Tiny" in result.stdout and "commitment" in result.stdout


def test_pack_and_unpack(tiny):
    packed = run("pack", "out/bundle", "-o", "tiny.tar.gz", cwd=tiny)
    assert packed.returncode == 0, packed.stderr
    unpacked = run("unpack", "tiny.tar.gz", "-d", "unpacked", cwd=tiny)
    assert unpacked.returncode == 0 and (tiny / "unpacked" / "tiny" / "challenge.json").is_file()


@pytest.mark.parametrize("args, message", [
    (("forge", "missing.yaml", "-o", "x"), "cannot read recipe"),
    (("grade", "out/bundle", "out/key.json", "nope.py"), "cannot read answer"),
    (("show", "nowhere"), "is not a bundle"),
])
def test_user_errors_are_one_line(tiny, args, message):
    result = run(*args, cwd=tiny)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_bad_answer_is_one_line(tiny):
    (tiny / "broken.py").write_text("def label(x, y) return 1\n")
    result = run("grade", "out/bundle", "out/key.json", "broken.py", cwd=tiny)
    assert result.returncode == 2 and "syntax error at line 1" in result.stderr
