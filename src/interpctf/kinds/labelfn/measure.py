"""Re-measuring the quality bar from what was published: the model's held-out accuracy against the key.

The key holds the secret's labels on the probe inputs and the indices the model trained on; the probes cover
every held-out input (pairs: the whole domain; digits: exactly the held-out images), so the published model's
predictions on the probe inputs it never trained on give its held-out accuracy without running the secret.
"""

import numpy as np

from interpctf.kinds.labelfn.domains import DOMAINS
from interpctf.kinds.labelfn.facts import LabelFnPublic, LabelFnSecret
from interpctf.kinds.labelfn.probes import Probes
from interpctf.schema import Challenge


def measure_heldout(challenge: Challenge) -> dict[str, float]:
    probes = Probes.of(challenge)
    domain = DOMAINS.get(probes.domain)
    if domain is None:
        return {}
    heldout = ~np.isin(probes.indices, np.asarray(challenge.secret_as(LabelFnSecret).train_indices, dtype=np.int64))
    if not heldout.any():
        return {}
    inputs = probes.inputs(domain, challenge.public_as(LabelFnPublic), challenge.key_dir)[heldout]
    predictions = domain.predict(domain.load(challenge.bundle_dir / "model"), inputs)
    return {"heldout_accuracy": float(np.mean(predictions == probes.truth[heldout]))}
