"""The compiled model in TransformerLens 4: a ``TransformerBridge`` over TL's native architecture.

TransformerLens 4 removed ``HookedTransformer``; its ``boot_native`` builds the same architecture from a config
(no LayerNorm: ``normalization_type=None``; bidirectional attention unless the program is causal) and
``convert_tl_checkpoint`` reads HookedTransformer-format weights, which the compiled model's are (plus the zero
biases Tracr's model does not have).
"""

from typing import Any

import torch

from interpctf.kinds.compiled.net import CompiledTransformer


def hooked_state_dict(model: CompiledTransformer) -> dict[str, torch.Tensor]:
    cfg = model.cfg
    sd = {"embed.W_E": model.W_E, "pos_embed.W_pos": model.W_pos, "unembed.W_U": model.W_U,
          "unembed.b_U": torch.zeros(cfg.d_vocab_out)}
    for layer, block in enumerate(model.blocks):
        for name in ("W_Q", "W_K", "W_V", "W_O"):
            sd[f"blocks.{layer}.attn.{name}"] = getattr(block.attn, name)
        for name in ("b_Q", "b_K", "b_V"):
            sd[f"blocks.{layer}.attn.{name}"] = torch.zeros(cfg.n_heads, cfg.d_head)
        sd[f"blocks.{layer}.attn.b_O"] = torch.zeros(cfg.d_model)
        sd[f"blocks.{layer}.mlp.W_in"], sd[f"blocks.{layer}.mlp.W_out"] = block.mlp.W_in, block.mlp.W_out
        sd[f"blocks.{layer}.mlp.b_in"] = torch.zeros(cfg.d_mlp)
        sd[f"blocks.{layer}.mlp.b_out"] = torch.zeros(cfg.d_model)
    return {k: v.detach().clone() for k, v in sd.items()}


def to_bridge(model: CompiledTransformer) -> Any:
    """A TransformerBridge computing the same logits (its hooks: blocks.{l}.attn.hook_z, hook_mlp_out, ...)."""
    from transformer_lens.config import TransformerBridgeConfig
    from transformer_lens.model_bridge import TransformerBridge
    from transformer_lens.utilities.tl_checkpoint_conversion import convert_tl_checkpoint

    cfg = model.cfg
    tl_cfg = TransformerBridgeConfig(
        d_model=cfg.d_model, n_layers=cfg.n_layers, d_mlp=cfg.d_mlp, d_head=cfg.d_head, n_heads=cfg.n_heads,
        n_ctx=cfg.n_ctx, d_vocab=cfg.d_vocab, d_vocab_out=cfg.d_vocab_out, act_fn="relu", normalization_type=None,
        attention_dir="causal" if cfg.causal else "bidirectional", positional_embedding_type="standard",
        architecture="TransformerLensNative")
    bridge = TransformerBridge.boot_native(tl_cfg)
    bridge.load_state_dict(convert_tl_checkpoint(hooked_state_dict(model), bridge.cfg), strict=True)
    return bridge.eval()
