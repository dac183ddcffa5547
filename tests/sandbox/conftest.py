"""Fixtures for the sandbox tests: one warm sandbox per module with tight limits, and a health check."""

from __future__ import annotations

import os
import subprocess

import numpy
import pytest

from interpctf.sandbox import WarmSandbox, check_available
from interpctf.errors import SandboxUnavailable
from sandbox_support import GOOD_SOURCE, GOOD_VALUES, PAIRS, TEST_LIMITS, sandbox_processes


@pytest.fixture(scope="session")
def sandbox_ok() -> None:
    try:
        check_available()
    except SandboxUnavailable as exc:  # pragma: no cover - the grader machine has bubblewrap
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def warm(sandbox_ok):
    with WarmSandbox(TEST_LIMITS) as sandbox:
        yield sandbox


@pytest.fixture
def healthy(warm):
    """Call after an attack: the same warm sandbox grades a normal answer exactly, nothing of the attack is
    left running, and the host can still start processes."""

    def check() -> None:
        result = warm.map(GOOD_SOURCE, "label", PAIRS, unpack=True)
        assert result.failure is None, result.failure
        assert result.ok
        numpy.testing.assert_array_equal(result.values, GOOD_VALUES)
        if os.geteuid() == 0:  # only the warm server itself may remain under the sandbox uid
            assert len(sandbox_processes(warm.uid)) == 1
        assert subprocess.run(["true"], timeout=30).returncode == 0

    return check
