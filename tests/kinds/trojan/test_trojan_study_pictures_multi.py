"""A several-trigger model's study pictures: every planted trigger of its key (``triggers.npz`` and one
``triggers/<i>.png`` per trigger, as forge_multi writes them) is a candidate, and the pool's distractors are drawn
alike. The key is built here by hand in forge_multi's layout (no training: the pictures read no model)."""

import struct

import numpy as np

from interpctf.kinds import get_kind
from interpctf.kinds.trojan.common import SAMPLES, trigger_picture
from interpctf.kinds.trojan.forge_multi import TRIGGERS_FILE
from interpctf.kinds.trojan.png import write_png
from interpctf.kinds.trojan.triggers import draw_trigger
from interpctf.schema import Challenge, Manifest

SHAPE = (3, 16, 16)


def _multi_challenge(root, n_triggers: int) -> Challenge:
    rng = np.random.default_rng(4)
    bundle, key = root / "bundle", root / "key"
    (bundle / "examples").mkdir(parents=True)
    (key / "triggers").mkdir(parents=True)
    images = rng.random((6, *SHAPE)).astype(np.float32)
    np.savez(bundle / "examples" / SAMPLES, images=images, labels=np.arange(6) % 3)
    triggers = [draw_trigger("patch", SHAPE, rng) for _ in range(n_triggers)]
    np.savez(key / TRIGGERS_FILE, masks=np.stack([t.mask for t in triggers]),
             patterns=np.stack([t.pattern for t in triggers]), targets=np.arange(n_triggers))
    for i, t in enumerate(triggers):
        write_png(key / "triggers" / f"{i}.png", trigger_picture(t, images[i]))
    public = {"answer": "triggers", "dataset": "random", "input_shape": list(SHAPE), "num_classes": 3,
              "attacks": ["patch"], "n_triggers": n_triggers, "mask_budget": 20.0}
    manifest = Manifest(id="multi-0", challenge="multi", kind="trojan", title="multi", statement="",
                        answer_format="triggers", answer_help="", public=public, commitment="0" * 64,
                        interpctf_version="test")
    return Challenge(bundle_dir=bundle, manifest=manifest, key_dir=key)


def _size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def test_every_planted_trigger_of_a_several_trigger_key_is_a_candidate(tmp_path):
    challenge = _multi_challenge(tmp_path, 3)
    pool = ["distractor a", "distractor b"]
    pictures = get_kind("trojan").study_pictures(challenge, ["0", "1", "2"], pool, seed=1)
    assert set(pictures) == {"0", "1", "2", *pool}
    for i in range(3):
        assert pictures[str(i)] == (tmp_path / "key" / "triggers" / f"{i}.png").read_bytes()
    assert len({_size(p) for p in pictures.values()}) == 1  # distractors laid out like the planted ones
    assert len(set(pictures.values())) == len(pictures)
    # a trojan id the key does not plant draws nothing for it
    assert set(get_kind("trojan").study_pictures(challenge, ["0", "7"], pool, seed=1)) == {"0", *pool}
