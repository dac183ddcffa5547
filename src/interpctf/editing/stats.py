"""Second-moment statistics ``C = E[k kᵀ]`` of the MLP keys over the world's training corpus, cached on disk.

ROME (Meng et al. 2022, eq. 2) and MEMIT (Meng et al. 2023, eq. 14) both need the uncentered second moment of
the keys at the edited layers: it is what makes the update leave the other keys' outputs (approximately) alone.
The cache is keyed by a hash of the MLP weights that produce the keys and of the corpus settings, so a changed
model never reuses stale statistics.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable, Iterator

import torch

from interpctf.data.world import World
from interpctf.editing.families import max_positions
from interpctf.editing.hooks import device_of, n_layers, record_keys
from interpctf.progress import Progress, SilentProgress

STATS_DOCS = 2000  # corpus documents (~50k key vectors): C is well conditioned for d_mlp = 512
STATS_SEED = 1234  # a corpus sample other than the training stream


def _model_digest(model) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().float().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


@torch.no_grad()
def stream_key_stats(model, tokenizer, texts: Iterable[str], layers: list[int] | None = None,
                     batch_size: int = 128, max_tokens: int | None = None, total: int | None = None,
                     progress: Progress | None = None) -> dict[int, torch.Tensor]:
    """{layer: C} with C = mean over every non-padding token of k kᵀ (float64, [d_mlp, d_mlp]).

    ``texts`` is consumed ``batch_size`` documents at a time (each cut to ``max_tokens``, default the model's
    context), so memory is bounded by one batch plus the running sums whatever the corpus size."""
    layers = list(range(n_layers(model))) if layers is None else layers
    progress = progress or SilentProgress()
    max_tokens = max_tokens or max_positions(model)
    device = device_of(model)
    sums: dict[int, torch.Tensor] = {}
    count = 0
    model.eval()
    with progress.step("key statistics", total=total) as bar:
        for chunk in _batches(texts, batch_size):
            enc = tokenizer(chunk, return_tensors="pt", padding=True, truncation=True, max_length=max_tokens)
            ids, lengths = enc["input_ids"].to(device), enc["attention_mask"].sum(dim=1).to(device)
            mask = torch.arange(ids.shape[1], device=device)[None, :] < lengths[:, None]
            with record_keys(model, layers) as keys:
                model(input_ids=ids)
            for layer in layers:
                k = keys[layer][mask].double()  # [tokens, d_mlp]
                sums[layer] = sums.get(layer, 0) + k.T @ k
            count += int(mask.sum())
            bar.advance(len(chunk))
    if not count:
        raise ValueError("stats_corpus: the corpus has no text")
    return {layer: (s / count).cpu() for layer, s in sums.items()}


def _batches(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def compute_key_stats(model, tokenizer, world: World, layers: list[int] | None = None, n_docs: int = STATS_DOCS,
                      batch_size: int = 128, progress: Progress | None = None) -> dict[int, torch.Tensor]:
    """:func:`stream_key_stats` over ``n_docs`` documents of the world's corpus (a sample other than training)."""
    docs = world.corpus(n_docs, seed=STATS_SEED)
    return stream_key_stats(model, tokenizer, docs, layers, batch_size, total=len(docs), progress=progress)


def key_stats(model, tokenizer, world: World, cache_dir: str | Path | None, layers: list[int] | None = None,
              n_docs: int = STATS_DOCS, progress: Progress | None = None) -> dict[int, torch.Tensor]:
    """Cached :func:`compute_key_stats` (all layers are computed and stored at once; one corpus pass)."""
    if cache_dir is None:
        stats = compute_key_stats(model, tokenizer, world, None, n_docs, progress=progress)
    else:
        path = Path(cache_dir) / f"keystats-{_model_digest(model)}-{n_docs}-{STATS_SEED}.pt"
        if path.exists():
            stats = torch.load(path, weights_only=True)
            stats = {int(k): v for k, v in stats.items()}
        else:
            stats = compute_key_stats(model, tokenizer, world, None, n_docs, progress=progress)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            torch.save({str(k): v for k, v in stats.items()}, tmp)
            os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
    wanted = stats.keys() if layers is None else layers
    return {layer: stats[layer] for layer in wanted}
