"""The ``editability`` lab task's parts: which changes to how the world language model is trained make ROME and
MEMIT edits work better.

``config`` (the training knobs) and ``train`` (the world-free training loop) are what a code run's sandbox mounts;
``batches``, ``host``, ``weights``, ``gate`` and ``measure`` are the trusted side. This ``__init__`` imports
nothing: the sandbox mounts it alone.
"""
