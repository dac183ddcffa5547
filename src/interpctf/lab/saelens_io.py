"""Save and load SAEs in the layout SAELens 6 loads: ``cfg.json`` + ``sae_weights.safetensors``.

Parameter names are SAELens's (W_enc [d_in, d_sae], W_dec [d_sae, d_out], b_enc, b_dec, and ``threshold`` for
JumpReLU; b_gate, r_mag, b_mag for Gated). Activation normalization is folded into the weights before saving, so the
file works on raw activations and says ``normalize_activations: none``. BatchTopK saves as JumpReLU with its
estimated threshold, which is what it computes at inference. The lab's own architecture name and config ride along in
``metadata`` (SAELens keeps unknown metadata keys), so the lab reads its files back exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file

from interpctf import __version__
from interpctf.errors import InterpctfError
from interpctf.lab.config import parse_config
from interpctf.lab.saes import SAE, build_sae
from interpctf.registry import registry

CFG_FILE = "cfg.json"
WEIGHTS_FILE = "sae_weights.safetensors"
# SAELens architecture name -> (lab architecture, transcoder)
_FROM_SAELENS = {"standard": ("relu", False), "topk": ("topk", False), "jumprelu": ("jumprelu", False),
                 "gated": ("gated", False), "transcoder": ("relu", True), "jumprelu_transcoder": ("jumprelu", True)}


class BadSAEFile(InterpctfError):
    pass


def saelens_architecture(sae: SAE) -> str:
    if not sae.config.transcoder:
        return sae.saelens_architecture
    # SAELens has ReLU and JumpReLU transcoders only; others keep a lab-only name SAELens will refuse by name.
    return sae.saelens_transcoder_architecture or f"{sae.name}_transcoder"


def save_sae(sae: SAE, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    cfg = {
        "d_in": sae.d_in,
        "d_sae": sae.d_sae,
        "dtype": "float32",
        "device": "cpu",
        "apply_b_dec_to_input": sae.apply_b_dec_to_input,
        "normalize_activations": "none",
        "reshape_activations": "none",
        "architecture": saelens_architecture(sae),
        "metadata": {"lab_architecture": sae.name, "lab_config": sae.config.model_dump(mode="json"),
                     "interpctf_version": __version__, **(metadata or {})},
        **sae.saelens_cfg_extra(),
    }
    if sae.config.transcoder:
        cfg["d_out"] = sae.d_out
    save_file({k: v.contiguous().float() for k, v in sae.saelens_state().items()}, str(path / WEIGHTS_FILE))
    (path / CFG_FILE).write_text(json.dumps(cfg, indent=2))
    return path


def load_sae(path: str | Path) -> SAE:
    """Load an SAE saved by the lab, or a SAELens SAE of a supported architecture."""
    path = Path(path)
    try:
        cfg = json.loads((path / CFG_FILE).read_text())
        state = load_file(str(path / WEIGHTS_FILE))
    except FileNotFoundError as err:
        raise BadSAEFile(f"{path} is not an SAE directory: {Path(err.filename).name} is missing") from None
    meta = cfg.get("metadata") or {}
    if meta.get("lab_config") and meta.get("lab_architecture") in registry.names("sae_architectures"):
        config = parse_config(meta["lab_config"])
    else:
        arch = cfg.get("architecture")
        if arch not in _FROM_SAELENS:
            raise BadSAEFile(f"{path}: architecture {arch!r} is not one the lab reads ({', '.join(_FROM_SAELENS)})")
        name, transcoder = _FROM_SAELENS[arch]
        config = parse_config({"architecture": name, "width": cfg["d_sae"], "k": cfg.get("k"),
                               "sparsity_coefficient": 1.0, "dead_latents": "none", "transcoder": transcoder})
    sae = build_sae(config, cfg["d_in"], cfg.get("d_out", cfg["d_in"]))
    sae.load_saelens_state(state)
    return sae.eval()
