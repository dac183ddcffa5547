"""Re-measuring the quality bars of a single-model trojan from what was published and the key.

The key holds the held-out inputs (``probes.npz``, the same images the forge measured on), the true trigger and
the clean twin; so attack success and the clean accuracy lost against the twin are recomputed exactly. A
detection suite keeps no held-out inputs in its key: its figures come from the key's record.
"""

from pathlib import Path

import numpy as np

from interpctf.kinds.trojan.common import read_probes
from interpctf.kinds.trojan.facts import TrojanPublic, TrojanSecret
from interpctf.kinds.trojan.forge_multi import TRIGGERS_FILE
from interpctf.kinds.trojan.forge_single import CLEAN_DIR
from interpctf.kinds.trojan.grader_multi import measure_multi
from interpctf.kinds.trojan.planting import attack_success, clean_accuracy
from interpctf.kinds.trojan.triggers import Trigger
from interpctf.nets import small_cnn
from interpctf.schema import Challenge


def measure_single(challenge: Challenge) -> dict[str, float]:
    key_dir = challenge.key_dir
    if key_dir is not None and (key_dir / TRIGGERS_FILE).is_file():
        return measure_multi(challenge)
    if key_dir is None or challenge.public_as(TrojanPublic).answer == "detect" \
            or not (key_dir / "trigger.npz").is_file():
        return {}
    secret = challenge.secret_as(TrojanSecret)
    with np.load(key_dir / "trigger.npz") as npz:
        trigger = Trigger(attack=str(secret.attack), mask=npz["mask"], pattern=npz["pattern"],
                          random_position=secret.random_position)
        target = int(npz["target"])
    probes = read_probes(key_dir)
    x, y = probes["images"], probes["labels"]
    model = small_cnn.load_one(challenge.bundle_dir / "model")
    clean = small_cnn.load_one(key_dir / CLEAN_DIR)
    accuracy = clean_accuracy(model, x, y)
    return {"attack_success": attack_success(model, x, y, trigger, target),
            "accuracy_gap": clean_accuracy(clean, x, y) - accuracy, "clean_accuracy": accuracy}
