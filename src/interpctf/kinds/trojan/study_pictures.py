"""Pictures of a study's candidate triggers (issue 18): the planted triggers as the key draws them, and for each
entry of the distractor pool a trigger drawn the same way (same attacks, same sizes), rendered alike.

Every picture is :func:`interpctf.kinds.trojan.common.trigger_picture` (mask, pattern, pattern under the mask, an
input, the input stamped), so a rater cannot tell the planted triggers from the drawn ones by their layout: the
planted ones are the key's ``triggers/<model>.png`` (written at forge time on a held-out input), the drawn ones
are stamped on one of the bundle's clean samples.
"""

import hashlib
from pathlib import Path

import numpy as np

from interpctf.kinds.trojan.common import read_samples, trigger_picture
from interpctf.kinds.trojan.facts import TrojanPublic
from interpctf.kinds.trojan.png import png_bytes
from interpctf.kinds.trojan.triggers import ATTACKS, draw_trigger
from interpctf.schema import Challenge

MAX_PICTURE_BYTES = 2 << 20  # a key's picture read into the study's storage


def _rng(seed: int, entry: str) -> np.random.Generator:
    digest = hashlib.sha256(f"study-distractor:{seed}:{entry}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def planted_pictures(challenge: Challenge, trojans: list[str]) -> dict[str, bytes]:
    """The key's picture of each trojan that has one (a detection suite's trojaned models)."""
    folder = challenge.require_key_dir() / "triggers"
    out = {}
    for trojan in trojans:
        path = folder / f"{trojan}.png"
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_PICTURE_BYTES:
            out[trojan] = path.read_bytes()
    return out


def drawn_picture(challenge: Challenge, entry: str, seed: int) -> bytes:
    """A distractor: a trigger of one of the challenge's attacks, drawn from ``(seed, entry)``, on a sample."""
    public = challenge.public_as(TrojanPublic)
    assert isinstance(public, TrojanPublic)
    rng = _rng(seed, entry)
    attacks = [a for a in (public.attacks or [public.attack or "patch"]) if a in ATTACKS] or ["patch"]
    trigger = draw_trigger(attacks[int(rng.integers(len(attacks)))], public.input_shape, rng)
    images, _ = read_samples(Path(challenge.bundle_dir))
    return png_bytes(trigger_picture(trigger, images[int(rng.integers(len(images)))]))


def study_pictures(challenge: Challenge, trojans: list[str], pool: list[str], seed: int) -> dict[str, bytes]:
    """trojan id or pool entry -> PNG bytes; empty when the key draws none of the trojans (nothing to show)."""
    planted = planted_pictures(challenge, trojans)
    if not planted:
        return {}
    return {**planted, **{entry: drawn_picture(challenge, entry, seed) for entry in pool}}


__all__ = ["planted_pictures", "drawn_picture", "study_pictures"]
