"""The compiled kind's facts: what its manifests publish and what its keys hold."""

from typing import Any

from pydantic import BaseModel, ConfigDict

from interpctf.kinds.base import Facts


class TruthSite(BaseModel):
    """A variable's ground truth: the block that writes it and its subspace (rows: basis vectors)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    layer: int
    component: str
    head: int | None = None
    basis: list[list[float]] | None = None  # None: the site's whole write (a distilled model's variables)


class CompiledPublic(Facts):
    vocab: list[int | str]
    max_seq_len: int
    output_values: list[Any]
    n_layers: int
    n_heads: int
    d_model: int
    causal: bool = False
    obfuscate: str = "none"
    n_inputs: int
    distilled: bool = False  # a dense student trained to imitate the compiled model
    not_carried_over: list[str] = []  # variables whose compiled mechanism the student does not share


class CompiledSecret(Facts):
    rasp_source: str  # the recipe's RASP program
    reference_source: str  # the program written out in Python, with v(name, value) hooks
    variables: dict[str, TruthSite]
    n_pairs: int
    pair_seed: int
    distil_iia: dict[str, dict[str, Any]] = {}  # per variable: the student's best site and its IIA there
