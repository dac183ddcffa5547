"""The SAELens layout: file names, parameter names, cfg keys, and reading it back (here, and in SAELens itself when
a separate venv with sae-lens exists)."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from interpctf.lab.config import parse_config
from interpctf.lab.saelens_io import load_sae, save_sae
from interpctf.lab.saes import architectures, build_sae

SAELENS_PYTHON = Path(os.environ.get("INTERPCTF_SAELENS_PYTHON", "/tmp/saelens-venv/bin/python"))
EXPECTED = {"relu": ("standard", {"W_enc", "W_dec", "b_enc", "b_dec"}),
            "topk": ("topk", {"W_enc", "W_dec", "b_enc", "b_dec"}),
            "batchtopk": ("jumprelu", {"W_enc", "W_dec", "b_enc", "b_dec", "threshold"}),
            "jumprelu": ("jumprelu", {"W_enc", "W_dec", "b_enc", "b_dec", "threshold"}),
            "gated": ("gated", {"W_enc", "W_dec", "b_gate", "b_mag", "r_mag", "b_dec"})}


def _trained_like(arch, transcoder=False):
    cfg = parse_config({"architecture": arch, "width": 24, "k": 3, "sparsity_coefficient": 0.1,
                        "transcoder": transcoder})
    sae = build_sae(cfg, 12, 10 if transcoder else 12)
    sae.initialize(torch.Generator().manual_seed(1))
    with torch.no_grad():
        for p in sae.parameters():
            p.add_(0.05 * torch.randn_like(p))
    if arch == "batchtopk":
        sae.threshold_estimate.fill_(0.02)
    return sae


@pytest.mark.parametrize("arch", sorted(architectures()))
def test_layout_names_and_round_trip(arch, tmp_path):
    sae = _trained_like(arch)
    save_sae(sae, tmp_path)
    cfg = json.loads((tmp_path / "cfg.json").read_text())
    weights = load_file(str(tmp_path / "sae_weights.safetensors"))
    architecture, names = EXPECTED[arch]
    assert cfg["architecture"] == architecture and set(weights) == names
    assert (cfg["d_in"], cfg["d_sae"]) == (12, 24)
    assert cfg["apply_b_dec_to_input"] is True and cfg["normalize_activations"] == "none"
    assert weights["W_enc"].shape == (12, 24) and weights["W_dec"].shape == (24, 12)
    if arch == "topk":
        assert cfg["k"] == 3
    x = torch.randn(7, 12)
    back = load_sae(tmp_path)
    assert torch.allclose(back(x), sae(x), atol=1e-6)


def test_transcoder_layout(tmp_path):
    sae = _trained_like("relu", transcoder=True)
    save_sae(sae, tmp_path)
    cfg = json.loads((tmp_path / "cfg.json").read_text())
    assert cfg["architecture"] == "transcoder" and cfg["d_out"] == 10 and cfg["apply_b_dec_to_input"] is False
    x = torch.randn(5, 12)
    assert torch.allclose(load_sae(tmp_path)(x), sae(x), atol=1e-6)


def test_missing_files_are_a_clear_error(tmp_path):
    from interpctf.errors import InterpctfError

    with pytest.raises(InterpctfError, match="cfg.json"):
        load_sae(tmp_path)


_SAELENS_CHECK = """
import json, sys, torch
from sae_lens import SAE
from safetensors.torch import load_file
out = {}
for path in sys.argv[1:]:
    sae = SAE.load_from_disk(path)
    x = torch.load(path + "/x.pt")
    out[path] = sae(x).tolist()
print(json.dumps(out))
"""


@pytest.mark.slow  # importing sae_lens takes ~40 s on a loaded 2-core machine
@pytest.mark.skipif(not SAELENS_PYTHON.exists(),
                    reason=f"no separate venv with sae-lens at {SAELENS_PYTHON} (set INTERPCTF_SAELENS_PYTHON)")
def test_saelens_itself_loads_our_files(tmp_path):
    """SAELens 6 loads each saved SAE and computes the same outputs (it lives in its own venv: its pins are not
    the project's)."""
    paths, expected = [], {}
    for arch in sorted(architectures()):
        for transcoder in (False, True):
            if transcoder and arch not in ("relu", "jumprelu"):
                continue  # SAELens has ReLU and JumpReLU transcoders only
            sae = _trained_like(arch, transcoder)
            path = tmp_path / f"{arch}-{transcoder}"
            save_sae(sae, path)
            x = torch.randn(6, 12)
            torch.save(x, path / "x.pt")
            paths.append(str(path))
            expected[str(path)] = sae(x)
    proc = subprocess.run([str(SAELENS_PYTHON), "-c", _SAELENS_CHECK, *paths], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    for path, want in expected.items():
        assert torch.allclose(torch.tensor(got[path]), want, atol=1e-5), path
