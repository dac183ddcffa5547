"""Limits that hold for the whole answer (default limits: 1 GiB, 64 MB /tmp), through the real grading path and
through a warm sandbox in each isolation mode.

Memory is budgeted for every process of an answer together (a cgroup, or the watchdog where none is writable),
memfds and tmpfs included, and every answer gets a /tmp mounted new for it. Each attack below stays under every
per-process limit (RLIMIT_AS 1 GiB, 16 MB per file) and goes over only in aggregate or by leaving /tmp unusable.
"""

from __future__ import annotations

import textwrap

import pytest

from interpctf.bundle import open_challenge
from interpctf.grading import grade_file
from interpctf.sandbox import WarmSandbox, warm
from interpctf.sandbox.cgroup import _Watchdog
from interpctf.schema import AnswerFile

from sandbox_support import PAIRS

RULE = "def label(x, y):\n    return int(abs(x - y) > 6)\n"  # the small_pairs challenge's secret


class Outcome:
    """What one answer got: ``failure`` (the whole-run reason, or None) and whether it was fully right."""

    def __init__(self, failure: str | None, solved: bool, details=None) -> None:
        self.failure, self.solved, self.details = failure, solved, details


@pytest.fixture(scope="module", params=["grade", "sandbox", "watchdog"])
def answer(request, sandbox_ok):
    """Grades an answer source. ``grade``: the real grading path (grade_file on the small_pairs challenge, the
    shared sandbox pool); ``sandbox``: a warm sandbox with the host's own isolation mode; ``watchdog``: a warm
    sandbox whose budget is kept by the watchdog, as on a host without a writable cgroup. Default limits."""
    if request.param == "grade":
        bundle = request.getfixturevalue("small_pairs")
        challenge = open_challenge(bundle / "bundle", bundle / "key.json")

        def run(source: str) -> Outcome:
            g = grade_file(None, AnswerFile("answer.py", textwrap.dedent(source).encode()), challenge)
            error = g.details.get("error")
            return Outcome(error.removeprefix("the answer failed: ") if error else None, g.solved and g.score == 1.0,
                           g.details)

        yield run
        return
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "watchdog":
            patch.setattr(warm.ResourceGroup, "create", classmethod(
                lambda cls, name, memory_bytes, pids, *, reaper=None: _Watchdog(memory_bytes, pids, reaper)))
        sandbox = WarmSandbox()
        sandbox.start()
    assert (sandbox._group.mode == "watchdog") == (request.param == "watchdog")
    expected = (abs(PAIRS[:, 0] - PAIRS[:, 1]) > 6).astype(int)

    def run(source: str) -> Outcome:
        result = sandbox.map(textwrap.dedent(source), "label", PAIRS, unpack=True)
        return Outcome(result.failure, result.ok and bool((result.values == expected).all()), result)

    yield run
    sandbox.close()


# Four children of 500 MB each: each is half the limit, together twice it.
FORKS = textwrap.dedent("""
    import os, time
    kids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            hold = b"x" * (500 << 20)
            time.sleep(4)
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
""") + RULE

# 750 MB in memfds (50 of 15 MB: each under the 16 MB file limit), then 600 MB of heap: under RLIMIT_AS, which
# does not count unmapped memfds, but 1.35 GB in all.
MEMFD = textwrap.dedent("""
    import os
    fds = []
    chunk = b"m" * (1 << 20)
    for _ in range(50):
        fd = os.memfd_create("hold")
        for _ in range(15):
            os.write(fd, chunk)
        fds.append(fd)
    heap = b"h" * (600 << 20)
""") + RULE

# /tmp (64 MB) filled by files in a 1,200-level tree, and by files in a mode-000 folder nested in another.
DEEP_TREE = textwrap.dedent("""
    import os
    os.chdir("/tmp")
    for _ in range(1200):
        os.mkdir("d")
        os.chdir("d")
    for i in range(4):  # 60 MB of the 64: too little left for the next answer's 8 MB
        with open(f"f{i}", "wb") as fh:
            for _ in range(15):
                fh.write(b"t" * (1 << 20))
""") + RULE
LOCKED = textwrap.dedent("""
    import os
    os.makedirs("/tmp/outer/inner/deeper")
    for i in range(4):
        with open(f"/tmp/outer/inner/deeper/f{i}", "wb") as fh:
            for _ in range(15):
                fh.write(b"t" * (1 << 20))
    os.chmod("/tmp/outer/inner", 0)
    os.chmod("/tmp/outer", 0)
""") + RULE
WRITES_8MB = textwrap.dedent("""
    with open("/tmp/scratch", "wb") as fh:
        for _ in range(8):
            fh.write(b"s" * (1 << 20))
    import os
    assert os.path.getsize("/tmp/scratch") == 8 << 20
""") + RULE


@pytest.mark.parametrize("attack", [FORKS, MEMFD], ids=["four-forks", "memfd-and-heap"])
def test_memory_counts_for_the_whole_answer(answer, attack):
    hog = answer(attack)
    assert hog.failure == "memory limit exceeded" and not hog.solved, hog.details
    right = answer(RULE)  # the next answer, in the same sandbox, is graded normally
    assert right.failure is None and right.solved, right.details


@pytest.mark.parametrize("leftover", [DEEP_TREE, LOCKED], ids=["deep-tree", "mode-000"])
def test_tmp_is_fresh_after_an_answer_that_fills_it(answer, leftover):
    first = answer(leftover)
    assert first.solved, first.details  # the attack itself answers correctly: only what it leaves matters
    scratch = answer(WRITES_8MB)
    assert scratch.failure is None and scratch.solved, scratch.details


def test_a_file_written_by_one_answer_is_not_seen_by_the_next(answer):
    writer = answer('open("/tmp/note", "w").write("from the first team")\n' + RULE)
    assert writer.solved
    # The reader answers correctly only if it finds nothing at all in /tmp.
    reader = answer("""
        import os
        SEEN = bool(os.listdir("/tmp"))
        def label(x, y):
            rule = int(abs(x - y) > 6)
            return 1 - rule if SEEN else rule
    """)
    assert reader.failure is None and reader.solved, reader.details
