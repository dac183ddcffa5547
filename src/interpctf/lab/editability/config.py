"""The editability task's config: how the world language model (GPT-2 layout) is built and trained.

One pydantic model, unknown keys refused, so a typo cannot silently keep a default. It imports nothing of the
package: a code run's sandbox mounts it beside the training loop.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class WorldModelConfig(BaseModel):
    """The GPT-2 knobs and the training schedule. Defaults are the world model as shipped
    (:data:`interpctf.nets.tiny_gpt_reference.REFERENCE_CONFIG`: 4 layers, width 128, 4 heads, d_mlp 512)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_layer: int = Field(4, ge=1, le=12, description="transformer blocks")
    n_embd: int = Field(128, ge=8, le=1024, description="width of the residual stream")
    n_head: int = Field(4, ge=1, le=32, description="attention heads; must divide n_embd")
    d_mlp: int = Field(512, ge=8, le=8192, description="hidden width of each MLP (ROME's key space)")
    dropout: float = Field(0.0, ge=0.0, le=0.5, description="residual, embedding and attention dropout")
    weight_decay: float = Field(0.1, ge=0.0, le=10.0, description="AdamW's, on matrices only")
    tied_embeddings: bool = Field(True, description="the unembedding is the token embedding")
    activation: Literal["gelu_new", "gelu", "relu", "silu", "tanh"] = "gelu_new"
    lr: float = Field(3e-3, gt=0.0, le=1.0)
    lr_schedule: Literal["cosine", "linear", "constant"] = Field(
        "cosine", description="after the warm-up: cosine or linear decay to 5% of lr, or constant")
    warmup: int = Field(100, ge=0)
    steps: int = Field(2000, ge=1)
    batch_size: int = Field(64, ge=1, le=1024)
    row_tokens: int = Field(32, ge=16, le=64, description="each row is packed with whole fact sentences")
    fact_zipf: float = Field(0.0, ge=0.0, le=3.0, description=(
        "how often each fact is seen: facts are drawn with probability ∝ rank^-fact_zipf over a fixed shuffled "
        "ranking (0: every fact equally often)"))
    paraphrase_weight: float = Field(1.0, ge=0.0, le=100.0, description=(
        "how often each fact's other training templates are seen, relative to its canonical one (the template "
        "edits are stated in); the held-out paraphrases are never trained on"))
    grad_clip: float | None = Field(1.0, gt=0.0)
    seed: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> "WorldModelConfig":
        if self.n_embd % self.n_head:
            raise ValueError(f"n_head: {self.n_head} does not divide n_embd {self.n_embd}")
        if self.warmup >= self.steps and self.lr_schedule != "constant":
            raise ValueError(f"warmup: {self.warmup} steps leave none of the {self.steps} to decay over")
        return self
