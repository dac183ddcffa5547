"""Tests that really run the sandbox skip, with the reason, on a machine without it (no bubblewrap, no user
namespaces) instead of failing there."""

from __future__ import annotations

import pytest

from interpctf.errors import SandboxUnavailable


def require_sandbox(reason: str) -> None:
    """Skip the calling test (or fixture) unless the sandbox works here, saying ``reason`` and why not."""
    from interpctf.sandbox import check_available

    try:
        check_available()
    except SandboxUnavailable as exc:
        pytest.skip(f"{reason}: {exc}")
