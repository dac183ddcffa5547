"""Visualization uploads for a study: PNG images checked from their bytes in bounded memory.

The file size is capped first; then the signature, every chunk's length and CRC, the IHDR header (dimensions
capped before anything is decompressed) and the image data, inflated with a cap equal to the size the header
implies, so a decompression bomb costs at most that. Nothing here decodes pixels into an array.
"""

import struct
import zlib
from dataclasses import dataclass

from interpctf.errors import BadAnswer

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 2048
MAX_IMAGES = 8
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel


@dataclass(frozen=True)
class PngInfo:
    width: int
    height: int


def _chunks(data: bytes, name: str) -> list[tuple[bytes, bytes]]:
    out, pos = [], len(SIGNATURE)
    while pos < len(data):
        if pos + 12 > len(data):
            raise BadAnswer(f"{name}: truncated PNG chunk")
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, end = data[pos + 4:pos + 8], pos + 12 + length
        if end > len(data):
            raise BadAnswer(f"{name}: PNG chunk {kind!r} runs past the end of the file")
        body = data[pos + 8:pos + 8 + length]
        if struct.unpack(">I", data[end - 4:end])[0] != zlib.crc32(kind + body):
            raise BadAnswer(f"{name}: PNG chunk {kind!r} fails its CRC (the file is damaged)")
        out.append((kind, body))
        pos = end
        if kind == b"IEND":
            break
    return out


def check_png(data: bytes, name: str = "image", max_bytes: int = MAX_BYTES, max_side: int = MAX_SIDE) -> PngInfo:
    """The image's dimensions, or ``BadAnswer`` with one line saying what is wrong with it."""
    if len(data) > max_bytes:
        raise BadAnswer(f"{name}: {len(data)} bytes, over the {max_bytes}-byte limit per image")
    if not data.startswith(SIGNATURE):
        raise BadAnswer(f"{name}: not a PNG file (its first bytes are not the PNG signature)")
    chunks = _chunks(data, name)
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        raise BadAnswer(f"{name}: a PNG must start with its IHDR header")
    if chunks[-1][0] != b"IEND":
        raise BadAnswer(f"{name}: the PNG has no IEND chunk (truncated?)")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if not (1 <= width <= max_side and 1 <= height <= max_side):
        raise BadAnswer(f"{name}: {width}x{height} pixels; each side must be 1..{max_side}")
    if colour not in CHANNELS or depth not in (1, 2, 4, 8, 16):
        raise BadAnswer(f"{name}: unsupported PNG colour type {colour} / bit depth {depth}")
    if interlace:
        raise BadAnswer(f"{name}: interlaced PNGs are not accepted; save it without interlacing")
    expected = height * (1 + (width * CHANNELS[colour] * depth + 7) // 8)
    inflater = zlib.decompressobj()
    got = 0
    try:
        for kind, body in chunks:
            if kind == b"IDAT":
                got += len(inflater.decompress(body, expected + 1 - got))
                if got > expected or inflater.unconsumed_tail:
                    raise BadAnswer(f"{name}: the image data is larger than its {width}x{height} header says")
    except zlib.error as exc:
        raise BadAnswer(f"{name}: the image data does not decompress ({exc})") from None
    if got != expected:
        raise BadAnswer(f"{name}: the image data holds {got} bytes, its {width}x{height} header needs {expected}")
    return PngInfo(width, height)


def check_visualizations(images: dict[str, bytes], max_images: int = MAX_IMAGES) -> dict[str, PngInfo]:
    """All images of one trojan's visualization: at most ``max_images``, each a valid, capped PNG."""
    if not images:
        raise BadAnswer("a visualization needs at least one PNG image")
    if len(images) > max_images:
        raise BadAnswer(f"{len(images)} images; at most {max_images} per trojan")
    return {name: check_png(data, name) for name, data in images.items()}


__all__ = ["PngInfo", "check_png", "check_visualizations", "MAX_BYTES", "MAX_SIDE", "MAX_IMAGES"]
