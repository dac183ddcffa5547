"""The lab's run configuration: one pydantic model, validated at the boundary with errors that name the field.

A config is everything that changes the trained SAE; the task supplies the data and the budget. ``config_hash`` is
computed over the fully validated config (defaults filled in), so two YAML files that mean the same run share a hash.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from interpctf.errors import InterpctfError
from interpctf.registry import registry


class BadLabConfig(InterpctfError):
    """A lab config that cannot be read or does not validate."""


class SAEConfig(BaseModel):
    """How to build and train one SAE. Unknown keys are refused so a typo cannot silently keep a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    architecture: str = Field("topk", description="a name in the registry's sae_architectures group")
    width: int = Field(512, ge=1, le=65536, description="number of latents (d_sae)")
    k: int | None = Field(None, ge=1, description="active latents per sample, for topk and batchtopk")
    sparsity_coefficient: float = Field(0.0, ge=0.0, description="L1 (relu, gated) or L0 (jumprelu) weight")
    lr: float = Field(3e-3, gt=0.0, le=1.0)
    lr_schedule: Literal["constant", "cosine", "linear"] = "constant"
    lr_warmup_steps: int = Field(0, ge=0)
    sparsity_warmup_steps: int = Field(0, ge=0, description="ramp the sparsity coefficient from 0 over these steps")
    steps: int = Field(2000, ge=1)
    batch_size: int = Field(1024, ge=1, le=65536)
    adam_betas: tuple[float, float] = (0.9, 0.999)
    grad_clip: float | None = Field(1.0, gt=0.0)
    normalize_activations: Literal["none", "expected_average_only_in"] = Field(
        "none", description="expected_average_only_in scales inputs so that E||x|| = sqrt(d_in)")
    init: Literal["tied", "kaiming"] = Field(
        "tied", description="tied: encoder starts as the transposed decoder; kaiming: independent")
    decoder_init_norm: float = Field(0.1, gt=0.0, description="norm of each decoder row at initialization")
    b_dec_init: Literal["zeros", "mean"] = "mean"
    dead_latents: Literal["auto", "none", "aux_loss", "resample"] = Field(
        "auto", description="aux_loss: TopK auxiliary loss; resample: re-initialize dead latents; "
                            "auto: aux_loss for topk-style architectures, none otherwise")
    dead_window: int = Field(100, ge=1, description="steps without firing after which a latent counts as dead")
    aux_coefficient: float = Field(1.0, ge=0.0, description="weight of the TopK auxiliary loss (normalized by the residual)")
    aux_k: int | None = Field(None, ge=1, description="dead latents used by the aux loss (default d_in // 2)")
    resample_every: int = Field(500, ge=1)
    jumprelu_bandwidth: float = Field(0.05, gt=0.0)
    jumprelu_init_threshold: float = Field(0.1, gt=0.0)
    transcoder: bool = Field(False, description="map the MLP's input to its output instead of reconstructing")
    seed: int = Field(0, ge=0)
    # catalogue entries this config studies: metadata, not training, so left out of dumps and the config hash
    problems: tuple[str, ...] = Field((), exclude=True, description="ids of open-problems catalogue entries")

    @field_validator("problems")
    @classmethod
    def _known_problems(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            return value
        # Imported here: the sandboxed code runs import this module with only the training files mounted.
        from interpctf.catalogue import check_problem_ids
        return tuple(check_problem_ids(list(value)))

    @model_validator(mode="after")
    def _check(self) -> "SAEConfig":
        known = registry.names("sae_architectures")
        if self.architecture not in known:
            raise ValueError(f"architecture: unknown {self.architecture!r}; choose one of {known}")
        needs_k = _needs_k(self.architecture)
        if needs_k and self.k is None:
            raise ValueError(f"k: required for architecture {self.architecture!r}")
        if needs_k and self.k > self.width:
            raise ValueError(f"k: {self.k} is larger than width {self.width}")
        if not needs_k and self.sparsity_coefficient == 0.0 and _needs_sparsity(self.architecture):
            raise ValueError(f"sparsity_coefficient: must be > 0 for architecture {self.architecture!r}")
        if self.dead_latents == "aux_loss" and not needs_k:
            # The auxiliary loss is defined by a top-k over dead latents; other architectures resample instead.
            raise ValueError("dead_latents: aux_loss needs a topk or batchtopk architecture; use resample or none")
        return self

    @property
    def dead_handling(self) -> str:
        if self.dead_latents != "auto":
            return self.dead_latents
        return "aux_loss" if _needs_k(self.architecture) else "none"

    def hash(self) -> str:
        return config_hash(self)


def _needs_k(architecture: str) -> bool:
    """Whether the architecture takes ``k``: read off its class, which the registry imports by name (the SAE
    modules build on this config, so the config names them only through the registry)."""
    return bool(getattr(registry.get("sae_architectures", architecture), "needs_k", False))


def _needs_sparsity(architecture: str) -> bool:
    return bool(getattr(registry.get("sae_architectures", architecture), "needs_sparsity", True))


def config_hash(config: BaseModel) -> str:
    blob = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "config"
    msg = first["msg"].removeprefix("Value error, ")
    if ":" in msg.split(" ")[0]:  # our validators already start with the field name
        return f"bad lab config: {msg}"
    if first["type"] == "extra_forbidden":
        return f"bad lab config: {field}: unknown field (check the spelling; see `interpctf lab tasks` for the schema)"
    return f"bad lab config: {field}: {msg}"


def parse_config(data: dict[str, Any] | BaseModel | None, defaults: BaseModel | None = None) -> Any:
    """Validate ``data`` over ``defaults`` (the task's default config) and return the config, or raise BadLabConfig.
    The schema is the defaults' (a task may have its own, as editability does), else SAEConfig."""
    model = type(defaults) if defaults is not None else SAEConfig
    if isinstance(data, model):
        return data
    if data is not None and not isinstance(data, dict):
        raise BadLabConfig(f"bad lab config: expected a mapping of fields, got {type(data).__name__}")
    merged = {**(defaults.model_dump() if defaults else {}), **(data or {})}
    try:
        return model.model_validate(merged)
    except ValidationError as err:
        raise BadLabConfig(_describe(err)) from None


def load_config_file(path: str | Path, defaults: BaseModel | None = None) -> Any:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise BadLabConfig(f"config file {path} not found") from None
    except yaml.YAMLError as err:
        raise BadLabConfig(f"config file {path} is not valid YAML: {' '.join(str(err).split())}") from None
    return parse_config(data, defaults)
