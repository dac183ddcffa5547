"""``interpctf audit EVENT`` over a created event: one row per challenge and per hint, nothing written."""

from typer.testing import CliRunner

from server_support import event_spec, tiny_challenge
from interpctf.cli import app
from interpctf.server.event_spec import parse_event_spec
from interpctf.server.setup import create_event


def test_audit_prints_a_row_per_challenge_and_hint(tmp_path):
    data = tmp_path / "data"
    create_event(parse_event_spec(event_spec(tiny_challenge())), tmp_path, data,
                 f"sqlite:///{data / 'event.db'}").dispose()
    result = CliRunner().invoke(app, ["audit", str(data)])
    lines = result.output.splitlines()
    assert lines[0].split() == ["challenge", "item", "verdict"]
    rows = [line.split(None, 3) for line in lines[1:]]
    assert [r[0] for r in rows] == ["tiny", "tiny", "capped"]
    assert rows[1][1:] == ["hint", "1", "passes: the hint holds no data (no numeric arrays) a solver could use"]
    assert result.exit_code in (0, 1)  # 1 only if the tiny challenge's forge-time calibration flags it
