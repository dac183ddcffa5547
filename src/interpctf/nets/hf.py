"""Quieting transformers: its per-tensor loading bars and padding advice are noise next to interpctf's output."""


def quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # The attention-mask advice does not apply here: prompts are right-padded and attention is causal, so the
    # logits read at each prompt's own last position never see the padding.
    hf_logging.set_verbosity_error()
