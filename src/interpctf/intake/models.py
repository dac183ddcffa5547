"""A proposer's model, checked from its ``config.json`` and safetensors header before any model is built.

Loading a model allocates what its config declares, so the config is the proposer's choice of our memory. Here
each ``config.json`` is read (size-capped), its family must be one the bundle's kind publishes, its fields are
bounded, and the parameter count is computed from the config (the same formulas the families' modules build);
the weights file's header must declare no more numbers than that. Nothing is loaded.
"""

import json
import math
import re
from pathlib import Path
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from interpctf.errors import BadBundle
from interpctf.intake.arrays import read_safetensors_header

MAX_CONFIG_BYTES = 64 << 10
MAX_PARAMS = 25_000_000        # per model: 100 MB of float32
MAX_SUITE_PARAMS = 100_000_000
MAX_SUITE_MODELS = 256
WEIGHTS = "model.safetensors"


class _Config(BaseModel):
    model_config = ConfigDict(extra="allow")  # HF configs carry many harmless fields


class GPT2Config(_Config):
    """``pairs-transformer`` and ``world-gpt``: Hugging Face GPT-2 (tied or untied output embedding)."""

    model_type: Literal["gpt2"]
    architectures: list[Literal["GPT2LMHeadModel"]] | None = None
    n_layer: int = Field(ge=1, le=24)
    n_embd: int = Field(ge=1, le=2048)
    n_head: int = Field(ge=1, le=64)
    n_inner: int | None = Field(default=None, ge=1, le=8192)
    vocab_size: int = Field(ge=1, le=65536)
    n_positions: int = Field(ge=1, le=4096)
    tie_word_embeddings: bool = True

    @model_validator(mode="after")
    def _heads_divide(self):
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd {self.n_embd} is not a multiple of n_head {self.n_head}")
        return self

    def params(self) -> int:
        d, f = self.n_embd, self.n_inner or 4 * self.n_embd
        block = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d + (d * f + f) + (f * d + d)
        head = 0 if self.tie_word_embeddings else self.vocab_size * d
        return self.vocab_size * d + self.n_positions * d + self.n_layer * block + 2 * d + head


class DigitsConfig(_Config):
    """``digits-cnn`` (interpctf.nets.digits_cnn): two 3x3 convolutions on 8x8, three linear layers."""

    channels: int = Field(ge=1, le=256)
    hidden: int = Field(ge=1, le=4096)

    def params(self) -> int:
        c, h = self.channels, self.hidden
        return (9 * c + c) + (9 * c * 2 * c + 2 * c) + (2 * c * 64 * h + h) + (h * 32 + 32) + (32 * 2 + 2)


class MnistConfig(_Config):
    """``mnist-cnn`` (interpctf.nets.mnist_cnn): two strided 3x3 convolutions on 28x28, three linear layers."""

    channels: int = Field(ge=1, le=256)
    hidden: int = Field(ge=1, le=4096)

    def params(self) -> int:
        c, h = self.channels, self.hidden
        return (9 * c + c) + (9 * c * c + c) + (c * 49 * h + h) + (h * 16 + 16) + (16 * 2 + 2)


class TrojanCNNConfig(_Config):
    """``trojan-cnn`` (interpctf.nets.small_cnn): three 3x3 convolutions, two pools, one linear layer."""

    input_shape: tuple[int, int, int]
    num_classes: int = Field(ge=2, le=1000)
    widths: tuple[int, int, int]
    suite: list[str] | None = Field(default=None, max_length=MAX_SUITE_MODELS)

    @model_validator(mode="after")
    def _bounded(self):
        c, h, w = self.input_shape
        if c not in (1, 3) or h != w or not 4 <= h <= 256:
            raise ValueError(f"input_shape {list(self.input_shape)} is not [1 or 3, S, S] with 4 <= S <= 256")
        if not all(1 <= x <= 512 for x in self.widths):
            raise ValueError("widths must lie in 1..512")
        for mid in self.suite or []:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", mid):
                raise ValueError(f"suite id {mid[:40]!r} is not a plain name")
        return self

    def params(self) -> int:
        (c, s, _), (a, b, d), k = self.input_shape, self.widths, self.num_classes
        return (c * a * 9 + a) + (a * b * 9 + b) + (b * d * 9 + d) + (d * (s // 4) ** 2 * k + k)


class HFCausalLMConfig(_Config):
    """``hf-causal-lm`` (interpctf.nets.hf_causal_lm): an organizer's own causal LM of a family the editor knows.
    The count is an upper bound over those families (q, k, v and output projections with biases, a gated MLP's
    three matrices with biases, two norms per block, an untied head with a bias, learned positions), so a weights
    file of any of them declares no more numbers than it."""

    model_type: Literal["gpt2", "gpt_neox", "gptj", "llama", "mistral", "qwen2"]
    vocab_size: int = Field(ge=2, le=262144)
    n_embd: int | None = Field(default=None, ge=1, le=16384)
    hidden_size: int | None = Field(default=None, ge=1, le=16384)
    n_layer: int | None = Field(default=None, ge=1, le=128)
    num_hidden_layers: int | None = Field(default=None, ge=1, le=128)
    n_inner: int | None = Field(default=None, ge=1, le=65536)
    intermediate_size: int | None = Field(default=None, ge=1, le=65536)
    n_positions: int | None = Field(default=None, ge=1, le=131072)
    max_position_embeddings: int | None = Field(default=None, ge=1, le=131072)

    @model_validator(mode="after")
    def _sizes_given(self):
        if (self.n_embd or self.hidden_size) is None or (self.n_layer or self.num_hidden_layers) is None:
            raise ValueError("the config names no hidden size (n_embd / hidden_size) or layer count")
        return self

    def params(self) -> int:
        d = int(self.n_embd or self.hidden_size or 0)
        layers = int(self.n_layer or self.num_hidden_layers or 0)
        f = int(self.n_inner or self.intermediate_size or 4 * d)
        positions = int(self.n_positions or self.max_position_embeddings or 0)
        block = (4 * d * d + 4 * d) + (3 * d * f + f + d) + 4 * d
        return self.vocab_size * d + positions * d + layers * block + 2 * d + self.vocab_size * d + self.vocab_size


class CompiledTransformerConfig(_Config):
    """``compiled-transformer`` (interpctf.kinds.compiled.net): Tracr's layers, weights without biases."""

    n_layers: int = Field(ge=1, le=64)
    n_heads: int = Field(ge=1, le=64)
    d_model: int = Field(ge=1, le=4096)
    d_head: int = Field(ge=1, le=4096)
    d_mlp: int = Field(ge=1, le=65536)
    n_ctx: int = Field(ge=2, le=4096)
    d_vocab: int = Field(ge=2, le=65536)
    d_vocab_out: int = Field(ge=1, le=65536)

    def params(self) -> int:
        d = self.d_model
        block = 4 * self.n_heads * d * self.d_head + 2 * d * self.d_mlp
        return self.d_vocab * d + self.n_ctx * d + self.n_layers * block + d * self.d_vocab_out


class ImageMLPConfig(_Config):
    """``image-mlp`` (interpctf.nets.image_mlp): linear layers on the flattened image, two outputs."""

    input_shape: tuple[int, int]
    hidden_sizes: list[int] = Field(min_length=1, max_length=8)

    @model_validator(mode="after")
    def _bounded(self):
        if not all(1 <= s <= 256 for s in self.input_shape) or not all(1 <= h <= 8192 for h in self.hidden_sizes):
            raise ValueError("input_shape must lie in 1..256 and hidden_sizes in 1..8192")
        return self

    def params(self) -> int:
        widths = [self.input_shape[0] * self.input_shape[1], *self.hidden_sizes, 2]
        return sum(a * b + b for a, b in zip(widths, widths[1:]))


def _batch_norm(c: int) -> int:
    return 4 * c + 1  # weight, bias, running mean and variance, the batch counter (all in the weights file)


class ClassifierConfig(_Config):
    """``trojan-classifier`` (interpctf.nets.image_classifier): a built-in architecture (small_cnn, resnet18,
    resnet34) at a width; counts include batch-norm statistics, which the weights file holds."""

    architecture: Literal["small_cnn", "resnet18", "resnet34"]
    width: float = Field(gt=0, le=4)
    input_shape: tuple[int, int, int]
    num_classes: int = Field(ge=2, le=1000)

    @model_validator(mode="after")
    def _bounded(self):
        c, h, w = self.input_shape
        if c not in (1, 3) or h != w or not 4 <= h <= 512:
            raise ValueError(f"input_shape {list(self.input_shape)} is not [1 or 3, S, S] with 4 <= S <= 512")
        return self

    def params(self) -> int:
        c, s, _ = self.input_shape
        k = self.num_classes
        if self.architecture == "small_cnn":
            a, b, d = (max(1, int(round(x * self.width))) for x in (16, 32, 32))
            return (c * a * 9 + a) + (a * b * 9 + b) + (b * d * 9 + d) + (d * (s // 4) ** 2 * k + k)
        depths = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}[self.architecture]
        widths = [max(1, int(round(x * self.width))) for x in (64, 128, 256, 512)]
        total, inp = c * widths[0] * 49 + _batch_norm(widths[0]), widths[0]
        for i, (planes, depth) in enumerate(zip(widths, depths)):
            for j in range(depth):
                total += inp * planes * 9 + planes * planes * 9 + 2 * _batch_norm(planes)
                if j == 0 and (i > 0 or inp != planes):
                    total += inp * planes + _batch_norm(planes)
                inp = planes
        return total + widths[3] * k + k


FAMILIES: dict[str, type[_Config]] = {"pairs-transformer": GPT2Config, "world-gpt": GPT2Config,
                                      "digits-cnn": DigitsConfig, "mnist-cnn": MnistConfig,
                                      "trojan-cnn": TrojanCNNConfig, "image-mlp": ImageMLPConfig,
                                      "trojan-classifier": ClassifierConfig,
                                      "compiled-transformer": CompiledTransformerConfig,
                                      "hf-causal-lm": HFCausalLMConfig}
# the families each kind publishes; a proposal of that kind may carry nothing else
KIND_FAMILIES: dict[str, tuple[str, ...]] = {
    "labelfn": ("pairs-transformer", "digits-cnn", "mnist-cnn", "image-mlp"),
    "trojan": ("trojan-cnn", "trojan-classifier"), "edit": ("world-gpt", "hf-causal-lm"),
    "compiled": ("compiled-transformer",)}


def _read_config(path: Path) -> dict:
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise BadBundle(f"{path.name} is {size} bytes; a model config is at most {MAX_CONFIG_BYTES}")
        config = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise BadBundle(f"the bundle has no {path.parent.name}/{path.name}") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise BadBundle(f"{path.parent.name}/{path.name} is not a JSON file") from None
    if not isinstance(config, dict):
        raise BadBundle(f"{path.parent.name}/{path.name} is not a JSON object")
    return config


def _check_one(model_dir: Path, kind: str, family_of: Callable[[dict], str]) -> tuple[dict, int]:
    config = _read_config(model_dir / "config.json")
    family = family_of(config)
    allowed = KIND_FAMILIES.get(kind, ())
    if family not in allowed:
        raise BadBundle(f"bundles of kind {kind!r} hold {' or '.join(allowed) or 'no'} models, not {family!r}")
    try:
        parsed = FAMILIES[family].model_validate(config)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise BadBundle(f"{model_dir.name}/config.json: {where}: {first['msg']}") from None
    params = parsed.params()
    if params > MAX_PARAMS:
        raise BadBundle(f"{model_dir.name}/config.json declares {params:,} parameters; at most {MAX_PARAMS:,}")
    if not getattr(parsed, "suite", None):
        _check_weights(model_dir / WEIGHTS, params)
    return config, params


def _check_weights(path: Path, params: int) -> None:
    try:
        with open(path, "rb") as fh:
            header = read_safetensors_header(fh, path.stat().st_size, f"{path.parent.name}/{path.name}",
                                             error=BadBundle)
    except FileNotFoundError:
        raise BadBundle(f"the bundle has no {path.parent.name}/{path.name}") from None
    declared = sum(math.prod(e.shape) for e in header.values())
    if declared > params:
        raise BadBundle(f"{path.parent.name}/{path.name} declares {declared:,} numbers; its config.json "
                        f"builds {params:,} parameters")


def check_models(bundle: Path, kind: str) -> int:
    """Check every model of a bundle (``bundle/model``, or a suite's ``model/<id>``) against ``kind``; returns
    the total parameter count. Raises :class:`BadBundle` with one line at the first problem."""
    model_dir = Path(bundle) / "model"
    config, total = _check_one(model_dir, kind, lambda c: str(c.get("interpctf_family", ""))[:60])
    family = config.get("interpctf_family")
    if config.get("suite"):
        total = 0  # the suite's own config describes its members; it has no weights
    for mid in config.get("suite") or []:  # each suite member is one model of the same family
        _, params = _check_one(model_dir / mid, kind, lambda c: str(c.get("interpctf_family", family))[:60])
        total += params
        if total > MAX_SUITE_PARAMS:
            raise BadBundle(f"the suite declares over {MAX_SUITE_PARAMS:,} parameters in all")
    return total
