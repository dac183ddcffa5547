"""Loading an organizer's own Hugging Face causal LM from a bundle (the edit kind's ``base_model`` challenges)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FAMILY = "hf-causal-lm"  # config.json's interpctf_family for bundles of edited base models


def load(model_dir: Path) -> Any:
    """The published model (``AutoModelForCausalLM``, eval mode), offline."""
    from transformers import AutoModelForCausalLM

    from interpctf.nets.hf import quiet_transformers

    quiet_transformers()
    return AutoModelForCausalLM.from_pretrained(str(model_dir), local_files_only=True).eval()


def load_tokenizer(model_dir: Path) -> Any:
    from transformers import AutoTokenizer

    from interpctf.editing.lm import prepare_tokenizer

    return prepare_tokenizer(AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True))
