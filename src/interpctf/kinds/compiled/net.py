"""The compiled model as a PyTorch module: attention-then-MLP layers without LayerNorm, hook points to patch.

Saved in Hugging Face layout (``config.json`` + ``model.safetensors``), parameter names as TransformerLens
names them (``blocks.{l}.attn.W_Q`` shaped [heads, d_model, d_head], ...), so the weights read the same way in
either. Inputs are ``[BOS, t1, ..., tn]`` token ids (the vocabulary in the card's order, then BOS); the output
at each position after BOS is the argmax over the output variable's values. Every block's write into the
residual stream passes through an identity module (``hook_result`` per head, ``hook_out`` per MLP) so an
intervention is a plain torch forward hook.
"""

import json
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict
from torch import nn

FAMILY = "compiled-transformer"


class CompiledConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    interpctf_family: str = FAMILY
    n_layers: int
    n_heads: int
    d_model: int
    d_head: int
    d_mlp: int
    n_ctx: int  # max_seq_len + 1 (BOS)
    d_vocab: int  # vocabulary + BOS
    d_vocab_out: int
    causal: bool = False
    vocab: list[int | str]
    output_values: list[Any]


class Hook(nn.Identity):
    """A named point whose output a forward hook may replace."""


class Attention(nn.Module):
    def __init__(self, cfg: CompiledConfig):
        super().__init__()
        shape = (cfg.n_heads, cfg.d_model, cfg.d_head)
        self.W_Q, self.W_K, self.W_V = (nn.Parameter(torch.zeros(shape)) for _ in range(3))
        self.W_O = nn.Parameter(torch.zeros(cfg.n_heads, cfg.d_head, cfg.d_model))
        self.scale = cfg.d_head ** -0.5  # Tracr's softmax(QK^T / sqrt(key_size))
        self.causal = cfg.causal
        self.hook_result = Hook()  # [batch, pos, head, d_model]: each head's write into the residual stream

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        h, e = self.W_Q.shape[0], self.W_Q.shape[2]
        # one matmul for all heads' queries, keys and values: several times faster than per-head einsums
        w = torch.cat([self.W_Q, self.W_K, self.W_V], 0).permute(1, 0, 2).reshape(d, 3 * h * e)
        q, k, v = (x @ w).view(b, t, 3, h, e).permute(2, 0, 3, 1, 4)  # each [b, h, t, e]
        scores = (q @ k.transpose(-1, -2)) * self.scale
        if self.causal:
            mask = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
            scores = scores.masked_fill(~mask, -1e30)
        z = (scores.softmax(-1) @ v).transpose(1, 2)  # [b, t, h, e]
        if not self.hook_result._forward_hooks:  # nobody looks at the heads one by one: write them at once
            return z.reshape(b, t, h * e) @ self.W_O.reshape(h * e, d)
        result = self.hook_result(torch.einsum("bqhe,hed->bqhd", z, self.W_O))
        return result.sum(2)


class MLP(nn.Module):
    def __init__(self, cfg: CompiledConfig):
        super().__init__()
        self.W_in = nn.Parameter(torch.zeros(cfg.d_model, cfg.d_mlp))
        self.W_out = nn.Parameter(torch.zeros(cfg.d_mlp, cfg.d_model))
        self.hook_out = Hook()  # [batch, pos, d_model]: the MLP's write into the residual stream

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.hook_out(torch.relu(x @ self.W_in) @ self.W_out)


class Block(nn.Module):
    def __init__(self, cfg: CompiledConfig):
        super().__init__()
        self.attn, self.mlp = Attention(cfg), MLP(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(x)
        return x + self.mlp(x)


class CompiledTransformer(nn.Module):
    def __init__(self, cfg: CompiledConfig):
        super().__init__()
        self.cfg = cfg
        self.W_E = nn.Parameter(torch.zeros(cfg.d_vocab, cfg.d_model))
        self.W_pos = nn.Parameter(torch.zeros(cfg.n_ctx, cfg.d_model))
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.W_U = nn.Parameter(torch.zeros(cfg.d_model, cfg.d_vocab_out))

    @property
    def bos(self) -> int:
        return self.cfg.d_vocab - 1

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits over the output values, [batch, pos, d_vocab_out]; position 0 is BOS and means nothing."""
        x = self.W_E[tokens] + self.W_pos[: tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return x @ self.W_U

    def with_bos(self, ids: torch.Tensor) -> torch.Tensor:
        """Token ids [batch, n] -> model input [batch, n + 1] with BOS in front."""
        return torch.cat([torch.full((len(ids), 1), self.bos, dtype=ids.dtype), ids], 1)


def state_dict_of(weights: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Stacked arrays (W_Q [layers, heads, d, e], ...) -> this module's parameter names."""
    out = {k: torch.as_tensor(weights[k], dtype=torch.float32) for k in ("W_E", "W_pos", "W_U")}
    for layer in range(len(weights["W_Q"])):
        for name in ("W_Q", "W_K", "W_V", "W_O"):
            out[f"blocks.{layer}.attn.{name}"] = torch.as_tensor(weights[name][layer], dtype=torch.float32)
        for name in ("W_in", "W_out"):
            out[f"blocks.{layer}.mlp.{name}"] = torch.as_tensor(weights[name][layer], dtype=torch.float32)
    return out


def build(cfg: CompiledConfig, weights: dict[str, Any]) -> CompiledTransformer:
    model = CompiledTransformer(cfg)
    model.load_state_dict(state_dict_of(weights))
    return model.eval().requires_grad_(False)


def save(model: CompiledTransformer, out_dir: Path) -> None:
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(model.cfg.model_dump(mode="json"), indent=1))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out_dir / "model.safetensors"))


def load(model_dir: Path) -> CompiledTransformer:
    from safetensors.torch import load_file

    cfg = CompiledConfig.model_validate_json((Path(model_dir) / "config.json").read_text())
    model = CompiledTransformer(cfg)
    model.load_state_dict(load_file(str(Path(model_dir) / "model.safetensors")))
    return model.eval().requires_grad_(False)
