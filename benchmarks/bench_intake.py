"""Bounded intake against the security review's two archives: time and peak traced memory to refuse them, next to
the pre-fix way of reading the same bytes (every .npz member loaded; every tar header read with getmembers) in
the same run.

- the trigger bomb: an .npz of about 1 MB whose mask declares 16000x15000 float32 (960 MB) of zeros;
- the tar: one folder holding 100,000 empty files (about 600 KB gzipped).

Run: nice .venv/bin/python benchmarks/bench_intake.py
"""

from __future__ import annotations

import gzip
import io
import tarfile
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from interpctf.bundle import unpack
from interpctf.kinds import get_kind
from interpctf.schema import AnswerFile


def measure(call) -> tuple[float, float, str]:
    """Seconds, peak traced MiB, and the outcome (the refusal's message, or 'accepted')."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        call()
        outcome = "accepted"
    except Exception as exc:  # noqa: BLE001  (the refusal is the outcome)
        outcome = f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    return seconds, peak, outcome


def trigger_bomb() -> bytes:
    buf = io.BytesIO()  # written chunk by chunk from a broadcast view: the 960 MB never exist here
    np.savez_compressed(buf, target=np.int64(3), mask=np.broadcast_to(np.float32(0), (16000, 15000)),
                        pattern=np.zeros((3, 32, 32), np.float32))
    return buf.getvalue()


def many_members(path: Path) -> Path:
    folder = tarfile.TarInfo("b")
    folder.type = tarfile.DIRTYPE
    with gzip.open(path, "wb") as gz:
        gz.write(folder.tobuf(tarfile.USTAR_FORMAT))
        gz.write(b"".join(tarfile.TarInfo(f"b/{i}").tobuf(tarfile.USTAR_FORMAT) for i in range(100_000)))
        gz.write(bytes(1024))
    return path


def report(name: str, new: tuple[float, float, str], old: tuple[float, float, str], size: int) -> None:
    print(f"{name} ({size / 1e3:.0f} KB)")
    print(f"  bounded intake : {new[0] * 1e3:9.1f} ms  peak {new[1]:8.2f} MiB  -> {new[2][:110]}")
    print(f"  pre-fix reading: {old[0] * 1e3:9.1f} ms  peak {old[1]:8.2f} MiB  -> {old[2][:110]}")
    print(f"  ratio new/old  : time {new[0] / old[0]:.2g}, memory {new[1] / max(old[1], 1e-9):.2g}")


def main() -> None:
    kind = get_kind("trojan")
    challenge = SimpleNamespace(manifest=SimpleNamespace(public={
        "answer": "trigger", "input_shape": [3, 32, 32], "num_classes": 10, "mask_budget": 100.0}))
    kind.parse_answer(AnswerFile("warm.json", b'{"target": 1, "mask": [[0]], "pattern": [[[0]]]}'),
                      SimpleNamespace(manifest=SimpleNamespace(public={**challenge.manifest.public,
                                                                       "input_shape": [1, 1, 1]})))
    bomb = trigger_bomb()

    def load_everything():
        with np.load(io.BytesIO(bomb), allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}

    new = measure(lambda: kind.parse_answer(AnswerFile("trigger.npz", bomb), challenge))
    old = measure(load_everything)
    report("trigger .npz bomb", new, old, len(bomb))

    with tempfile.TemporaryDirectory() as tmp:
        archive = many_members(Path(tmp) / "many.tar.gz")

        def read_headers():
            with tarfile.open(archive, "r:*") as tar:
                return len(tar.getmembers())

        new = measure(lambda: unpack(archive, Path(tmp) / "out"))
        old = measure(read_headers)  # headers only: extracting them too took 13.8 s in the review
        report("100,000-member tar", new, old, archive.stat().st_size)


if __name__ == "__main__":
    main()
