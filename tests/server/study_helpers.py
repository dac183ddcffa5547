"""Shared by the study tests: a tiny PNG, an event with raters, the settings of a study on the ``tiny``
challenge, and a team's visualization upload."""

import struct
import zlib

from server_support import event_spec, tiny_challenge

RATERS = ["rater1", "rater2", "rater3"]
TRIGGERS = {"m00": "a white square, top left", "m01": "a red cross, centre", "m02": "blue noise over the image"}
POOL = ["a green dot", "a yellow stripe", "a black corner", "a checkerboard patch", "a purple ring",
        "a grey blur", "an orange frame"]
SETTINGS = {"challenge": "tiny", "triggers": TRIGGERS, "pool": POOL, "raters_per_question": 3, "seed": 3,
            "attention_checks": 1}


def png(width: int, height: int, shade: int = 0x80) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + bytes([(shade + x * 7 + y * 3) % 256 for x in range(width)]) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def study_spec(raters=RATERS) -> dict:
    spec = event_spec(tiny_challenge())
    spec["accounts"] = spec["accounts"] + [{"name": r, "password": "rater-password", "role": "rater"}
                                           for r in raters]
    return spec


def upload(client, trojans: dict[str, int], code: str = "print('made')"):
    """POST a visualization: ``trojans``: trojan -> number of images."""
    files = [("images", (f"{t}-{i}.png", png(16, 16, 40 * i), "image/png"))
             for t, n in trojans.items() for i in range(n)]
    data = {"trojan": [t for t, n in trojans.items() for _ in range(n)], "code": code}
    return client.post("/api/v1/study/visualizations", files=files, data=data)
