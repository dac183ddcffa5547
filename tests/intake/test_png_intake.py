"""Visualization PNGs: valid ones pass with their size; bad, oversized, bomb-like or too many are refused."""

import struct
import zlib

import pytest

from interpctf.errors import BadAnswer
from interpctf.intake.png import SIGNATURE, check_png, check_visualizations


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int, height: int, raw: bytes | None = None, interlace: int = 0) -> bytes:
    raw = raw if raw is not None else b"".join(b"\x00" + bytes(range(width * 3)) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, interlace)
    return SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_a_valid_png_gives_its_size():
    info = check_png(png(5, 3))
    assert (info.width, info.height) == (5, 3)


@pytest.mark.parametrize("data, message", [
    (b"GIF89a" + b"\x00" * 40, "not a PNG"),
    (png(5, 3)[:-6], "truncated|IEND|past the end"),
    (png(5, 3).replace(b"IDAT", b"IDAU"), "CRC"),
    (png(5000, 1, raw=b""), "each side"),
    (png(4, 4, interlace=1), "interlaced"),
    (png(4, 4, raw=b"\x00" * 10), "needs"),
    (png(4, 4, raw=b"\x00" * 10_000_000), "larger than"),  # a small file that inflates far past its header
])
def test_bad_pngs_are_refused_in_one_line(data, message):
    with pytest.raises(BadAnswer, match=message) as err:
        check_png(data)
    assert "\n" not in str(err.value)


def test_size_and_count_caps():
    with pytest.raises(BadAnswer, match="limit"):
        check_png(png(5, 3), max_bytes=20)
    with pytest.raises(BadAnswer, match="at most 2"):
        check_visualizations({f"{i}.png": png(2, 2) for i in range(3)}, max_images=2)
    assert set(check_visualizations({"a.png": png(2, 2)})) == {"a.png"}
