"""The Python API for editing any causal LM with CounterFact records (notebooks, agents, the edit kind).

    from interpctf.editing import edit
    result = edit("gpt2", records, method="rome")        # a folder, a hub id, or a loaded model (+ tokenizer)
    result.model, result.efficacy, result.paraphrase, result.neighborhood

Loading uses ``AutoModelForCausalLM`` and ``AutoTokenizer``; a folder loads offline, a hub id downloads (once,
into the Hugging Face cache). The family table (:mod:`interpctf.editing.families`) is checked before anything
is computed, so an unsupported architecture fails at once with the list of supported ones.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Sequence

import torch

from interpctf.editing.counterfact import CounterFactRecord, check_records, parse_records
from interpctf.editing.families import family_of, n_layers, proj_param_name
from interpctf.editing.memit import MemitParams
from interpctf.editing.requests import memit_records_inplace, rome_records_inplace
from interpctf.editing.rome import RomeParams
from interpctf.editing.score import record_metrics
from interpctf.editing.targets import TargetParams
from interpctf.errors import InterpctfError
from interpctf.progress import Progress, SilentProgress

Device = Literal["cpu", "cuda", "auto"]
DType = Literal["float32", "bfloat16"]
STATS_DOCS = 2000
MEMIT_LAM = 10.0  # MEMIT's λ for any causal LM (see default_params)


@dataclass
class EditResult:
    model: Any                 # the edited model (the input model is left unchanged)
    tokenizer: Any
    method: str
    layers: list[int]
    efficacy: float
    paraphrase: float | None
    neighborhood: float | None
    metrics: dict[str, float] = field(default_factory=dict)          # after the edit, CounterFact summary
    metrics_before: dict[str, float] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)                 # state-dict names of the edited weights
    # per record, from the editor's own check (interpctf.editing.verify): "verified" (the new target won on the
    # record's prompt right after its update) and "rounds" (target optimizations it took)
    records: list[dict] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        """Every record's edit passed the editor's check."""
        return all(r["verified"] for r in self.records)


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device not in ("cpu", "cuda"):
        raise InterpctfError(f"device: use cpu, cuda or auto, not {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise InterpctfError("device: cuda was asked for but no GPU is available here; use cpu or auto")
    return torch.device(device)


def _torch_dtype(dtype: str) -> torch.dtype:
    if dtype not in ("float32", "bfloat16"):
        raise InterpctfError(f"dtype: use float32 or bfloat16, not {dtype!r}")
    return torch.float32 if dtype == "float32" else torch.bfloat16


def prepare_tokenizer(tokenizer):
    """Right padding (the editors read each prompt's own last position) and a pad token where there is none."""
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token if tokenizer.eos_token is not None else tokenizer.unk_token
    tokenizer.padding_side = "right"
    return tokenizer


def load_causal_lm(model: str | Path | Any, tokenizer: Any = None, device: str = "auto",
                   dtype: str = "float32") -> tuple[Any, Any]:
    """(model, tokenizer) from a folder, a hub id or a loaded model; the family is checked here."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dev, torch_dtype = resolve_device(device), _torch_dtype(dtype)
    if isinstance(model, (str, Path)):
        source = str(model)
        local = Path(source).is_dir()
        if not local and Path(source).exists():
            raise InterpctfError(f"base_model: {source} is a file; give a model folder or a hub id")
        try:
            loaded = AutoModelForCausalLM.from_pretrained(source, local_files_only=local, dtype=torch_dtype)
            tokenizer = tokenizer or AutoTokenizer.from_pretrained(source, local_files_only=local)
        except (OSError, ValueError) as exc:
            raise InterpctfError(f"base_model: cannot load {source!r}: {str(exc).splitlines()[0][:200]}") from None
        model = loaded
    elif tokenizer is None:
        raise InterpctfError("tokenizer: give the tokenizer with a loaded model")
    family_of(model)
    model = model.to(device=dev, dtype=torch_dtype).eval()
    return model, prepare_tokenizer(tokenizer)


def default_params(model, method: str, position: str = "subject") -> RomeParams | MemitParams:
    """ROME at about a third of the depth, MEMIT over the layers around it (ROME edits GPT-2 XL's layer 17 of
    48; MEMIT spreads over 13-17 there), with the lookup at ``position``."""
    n = n_layers(model)
    mid = max(0, min(n - 1, round(n * 0.35)))
    target = TargetParams(position=position)  # type: ignore[arg-type]
    if method == "rome":
        return RomeParams(layer=mid, target=target)
    # λ weighs C₀, the *mean* key second moment, against K Kᵀ of the few edited keys. The world model's 1e3
    # suppresses the update almost entirely on small models of other layouts: on the tiny GPT-2 test model
    # (2 records, layers 0-1) efficacy was 0 on all 3 record seeds at 1e3, and 1, 1, 0.5 at 10 and at 1.
    return MemitParams(layers=sorted({max(0, mid - 2), max(0, mid - 1), mid}), lam=MEMIT_LAM, target=target)


def edit(model: str | Path | Any, records: Sequence[dict | CounterFactRecord] | str | Path,
         method: str = "rome", device: str = "auto", dtype: str = "float32", tokenizer: Any = None,
         stats_corpus: Iterable[str] | str | Path | None = None, params: RomeParams | MemitParams | None = None,
         stats_docs: int = STATS_DOCS, seed: int = 0, progress: Progress | None = None) -> EditResult:
    """Applies CounterFact ``records`` to ``model`` with ROME (one rank-one update per record, in turn) or MEMIT
    (all at once) and measures efficacy, paraphrase and neighbourhood on the same records.

    ``stats_corpus``: the texts for the key statistics C (an iterable of strings, a text file, a ``datasets``
    name, or None for the synthetic world's corpus, see :mod:`interpctf.editing.corpus`)."""
    from interpctf.editing.corpus import corpus_texts
    from interpctf.editing.stats import stream_key_stats
    from interpctf.nets.hf import quiet_transformers

    quiet_transformers()  # transformers warns about padding on every forward; right padding is safe here

    if method not in ("rome", "memit"):
        raise InterpctfError(f"method: use 'rome' or 'memit', not {method!r}")
    recs = parse_records(records if isinstance(records, (str, Path)) else list(records))
    base, tok = load_causal_lm(model, tokenizer, device, dtype)
    check_records(recs, tok)
    params = params or default_params(base, method)
    if method == "rome" and not isinstance(params, RomeParams) or method == "memit" and not isinstance(
            params, MemitParams):
        raise InterpctfError(f"params: {method.upper()} takes {'RomeParams' if method == 'rome' else 'MemitParams'}")
    layers = [params.layer] if isinstance(params, RomeParams) else sorted(params.layers)
    if not all(0 <= layer < n_layers(base) for layer in layers):
        raise InterpctfError(f"layers: {layers} outside the model's 0..{n_layers(base) - 1}")
    progress = progress or SilentProgress()
    texts, total = corpus_texts(stats_corpus, stats_docs)
    covs = stream_key_stats(base, tok, texts, layers, total=total, progress=progress)
    before = record_metrics(base, tok, recs)
    edited = copy.deepcopy(base)
    with progress.step(f"{method.upper()} edits", total=1) as bar:
        if isinstance(params, RomeParams):
            diagnostics = rome_records_inplace(edited, tok, recs, covs[params.layer], params, seed)
        else:
            diagnostics = memit_records_inplace(edited, tok, recs, covs, params, seed)
        bar.advance(1)
    after = record_metrics(edited, tok, recs)
    return EditResult(model=edited, tokenizer=tok, method=method, layers=layers, efficacy=after["efficacy"],
                      paraphrase=after.get("paraphrase"), neighborhood=after.get("neighborhood"), metrics=after,
                      metrics_before=before, changed=[proj_param_name(base, layer) for layer in layers],
                      records=diagnostics)
