"""Code in the lab: an agent's own SAE module, trained and run only inside the sandbox's lab profile.

``wire`` is what both sides share (the job's spec and report, and which package files the sandbox mounts), ``job``
runs inside the sandbox, ``host`` is the trusted side that feeds the batches, checks what comes back and computes
every metric itself. This package's ``__init__`` imports nothing: the sandbox mounts it alone.
"""
