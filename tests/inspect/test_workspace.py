"""An agent's lab workspace: files stay inside it, whatever path the agent gives."""

import os

import pytest

from interpctf.errors import InterpctfError
from interpctf.inspect.workspace import workspace_file


@pytest.mark.parametrize("path", ["", "/etc/passwd", "../x.yaml", "a/../../x.yaml", "a/\x00.py", "."])
def test_paths_outside_or_odd_are_refused(tmp_path, path):
    with pytest.raises(InterpctfError, match="^path: "):
        workspace_file(tmp_path, path, create=True)


def test_links_are_refused_and_plain_files_made(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    ws = tmp_path / "ws"
    ws.mkdir()
    os.symlink(outside, ws / "link")
    os.symlink(outside / "f.py", ws / "f.py")
    for path in ("link/x.yaml", "f.py"):
        with pytest.raises(InterpctfError, match="link"):
            workspace_file(ws, path, create=True)
    made = workspace_file(ws, "sub/config.yaml", create=True)
    assert made == ws / "sub" / "config.yaml" and made.parent.is_dir()
    with pytest.raises(InterpctfError, match="not a file in your workspace"):
        workspace_file(ws, "sub/config.yaml")
