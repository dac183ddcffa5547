"""A labelfn recipe's ``model:``: which family learns the rule and its sizes. Every field is optional; absent,
the domain's default model is built exactly as before (same config, same bytes).

- ``transformer`` (domain pairs, the default there): ``layers``, ``d_model``, ``heads``, ``d_mlp``,
  ``layer_norm`` (false: GPT-2's LayerNorms fixed to centering, as ``training.layer_norm``).
- ``cnn`` (digits and mnist, their default): ``channels``, ``hidden``.
- ``mlp`` (digits and mnist): ``hidden_sizes``, the widths of the hidden layers.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Family = Literal["transformer", "cnn", "mlp"]
FAMILY_FIELDS: dict[str, tuple[str, ...]] = {"transformer": ("layers", "d_model", "heads", "d_mlp", "layer_norm"),
                                             "cnn": ("channels", "hidden"), "mlp": ("hidden_sizes",)}
DOMAIN_FAMILIES: dict[str, tuple[str, ...]] = {"pairs": ("transformer",), "digits": ("cnn", "mlp"),
                                               "mnist": ("cnn", "mlp")}
# the config field each model field sets, per family
CONFIG_NAMES = {"layers": "n_layers", "heads": "n_heads"}


class ModelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    family: Family | None = None
    layers: int | None = Field(default=None, ge=1, le=12)
    d_model: int | None = Field(default=None, ge=4, le=4096)
    heads: int | None = Field(default=None, ge=1, le=64)
    d_mlp: int | None = Field(default=None, ge=4, le=16384)
    layer_norm: bool | None = None
    channels: int | None = Field(default=None, ge=1, le=512)
    hidden: int | None = Field(default=None, ge=2, le=8192)
    hidden_sizes: list[int] | None = Field(default=None, min_length=1, max_length=8)

    def family_for(self, domain: str) -> str:
        return self.family or DOMAIN_FAMILIES[domain][0]

    def check(self, domain: str) -> None:
        """One-line errors (ValueError, for the recipe's validator) naming the field."""
        family = self.family_for(domain)
        if family not in DOMAIN_FAMILIES[domain]:
            raise ValueError(f"model.family: {family} does not apply to domain {domain}; it takes "
                             f"{' or '.join(DOMAIN_FAMILIES[domain])}")
        for name in self.model_fields_set - {"family"}:
            if name not in FAMILY_FIELDS[family] and getattr(self, name) is not None:
                raise ValueError(f"model.{name} applies to family "
                                 f"{next(f for f, names in FAMILY_FIELDS.items() if name in names)}, not {family}")
        if self.hidden_sizes is not None and not all(2 <= h <= 8192 for h in self.hidden_sizes):
            raise ValueError("model.hidden_sizes: each width must be between 2 and 8192")
        if family == "transformer" and self.d_model is not None and self.d_model % (self.heads or 8):
            raise ValueError(f"model.d_model: {self.d_model} is not a multiple of heads ({self.heads or 8})")
        if family == "transformer" and self.heads is not None and self.d_model is None and 128 % self.heads:
            raise ValueError(f"model.heads: the default d_model 128 is not a multiple of {self.heads}")

    def overrides(self) -> dict[str, object]:
        """The family config's fields this spec sets (names as the config spells them)."""
        out: dict[str, object] = {}
        for name in self.model_fields_set - {"family"}:
            value = getattr(self, name)
            if value is not None:
                out[CONFIG_NAMES.get(name, name)] = tuple(value) if isinstance(value, list) else value
        return out


__all__ = ["ModelSpec", "FAMILY_FIELDS", "DOMAIN_FAMILIES"]
