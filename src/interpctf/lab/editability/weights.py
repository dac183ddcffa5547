"""The trained world model's weights, saved in Hugging Face's GPT-2 layout and read back in bounded memory.

Whoever trained the weights (this process, or an agent's code in the sandbox), the evaluator builds the model
from the *config* it validated itself and loads only tensors whose names, dtypes and shapes match that model,
checked from the safetensors header before any data is read: a file cannot smuggle in another architecture, a
larger model or NaNs.
"""

from __future__ import annotations

from pathlib import Path

import torch

from interpctf.errors import InterpctfError
from interpctf.intake.arrays import read_safetensors_header
from interpctf.lab.editability.config import WorldModelConfig
from interpctf.lab.editability.train import build_gpt2

WEIGHTS_FILE = "model.safetensors"  # Hugging Face's name, so the saved folder loads with from_pretrained
TIED_KEY = "lm_head.weight"  # absent from the file when the embeddings are tied (transformers drops it too)


class BadWeights(InterpctfError):
    """Weights that do not fit the validated config; the message is the run's one-line reason."""


def n_params(cfg: WorldModelConfig, vocab_size: int, n_positions: int) -> int:
    """Distinct parameters of the model the config builds (a tied unembedding counts once), without allocating."""
    with torch.device("meta"):
        model = build_gpt2(cfg, vocab_size, n_positions, 0, 0, 0)
    return sum(p.numel() for p in model.parameters())


def expected_tensors(cfg: WorldModelConfig, vocab_size: int, n_positions: int) -> dict[str, tuple[int, ...]]:
    with torch.device("meta"):
        model = build_gpt2(cfg, vocab_size, n_positions, 0, 0, 0)
    shapes = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    if cfg.tied_embeddings:
        shapes.pop(TIED_KEY, None)
    return shapes


def state_to_save(model, cfg: WorldModelConfig) -> dict[str, torch.Tensor]:
    """The model's tensors as saved: contiguous float32 copies, the tied unembedding left out."""
    state = {k: v.detach().to(torch.float32).contiguous().clone() for k, v in model.state_dict().items()}
    if cfg.tied_embeddings:
        state.pop(TIED_KEY, None)
    return state


def read_weights(path: Path, cfg: WorldModelConfig, vocab_size: int, n_positions: int, ids: tuple[int, int, int],
                 what: str = "the trained weights"):
    """A ``GPT2LMHeadModel`` (eval mode) built from ``cfg`` with the tensors of ``path``, or BadWeights."""
    from safetensors.torch import load_file

    if not path.is_file() or path.is_symlink():
        raise BadWeights(f"{what}: no {path.name} was written")
    want = expected_tensors(cfg, vocab_size, n_positions)
    with path.open("rb") as fp:
        header = read_safetensors_header(fp, path.stat().st_size, what, BadWeights)
    extra = sorted(set(header) - set(want))
    missing = sorted(set(want) - set(header))
    if extra or missing:
        name = (extra or missing)[0]
        raise BadWeights(f"{what}: tensor {name!r} is {'not in' if extra else 'missing from'} the config's GPT-2")
    for name, shape in want.items():
        entry = header[name]
        if entry.dtype != "F32" or entry.shape != shape:
            raise BadWeights(f"{what}: {name} is {entry.dtype} {list(entry.shape)}; expected F32 {list(shape)}")
    tensors = load_file(str(path))
    for name, tensor in tensors.items():
        if not bool(torch.isfinite(tensor).all()):
            raise BadWeights(f"{what}: {name} has NaN or infinite values")
    model = build_gpt2(cfg, vocab_size, n_positions, *ids)
    model.load_state_dict(tensors, strict=not cfg.tied_embeddings)
    if cfg.tied_embeddings:
        model.tie_weights()
    return model.eval()


def save_model(model, tokenizer, out: Path) -> Path:
    """Hugging Face layout (config.json, model.safetensors, tokenizer files): transformers loads it offline."""
    from interpctf.data.world_tokenizer import save_tokenizer

    out.mkdir(parents=True, exist_ok=True)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(str(out), safe_serialization=True)
    save_tokenizer(tokenizer, out)
    return out
