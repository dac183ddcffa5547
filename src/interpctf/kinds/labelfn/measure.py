"""Re-measuring the quality bar from what was published: the model's held-out accuracy against the key.

The key holds the secret's labels on the probe inputs and the indices the model trained on; the probes cover
every held-out input (pairs: the whole domain; digits: exactly the held-out images), so the published model's
predictions on the probe inputs it never trained on give its held-out accuracy without running the secret.
"""

import numpy as np

from interpctf.kinds.base import Challenge
from interpctf.kinds.labelfn.domains import DOMAINS
from interpctf.kinds.labelfn.probes import Probes


def measure_heldout(challenge: Challenge) -> dict[str, float]:
    probes = Probes.from_key(challenge.key)
    domain = DOMAINS.get(probes.domain)
    if domain is None:
        return {}
    heldout = ~np.isin(probes.indices, np.asarray(challenge.key.secret.get("train_indices", []), dtype=np.int64))
    if not heldout.any():
        return {}
    inputs = probes.inputs(domain, challenge.manifest.public, challenge.key_dir)[heldout]
    predictions = domain.predict(domain.load(challenge.bundle_dir / "model"), inputs)
    return {"heldout_accuracy": float(np.mean(predictions == probes.truth[heldout]))}
