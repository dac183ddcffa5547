"""``sae-lm``'s activations: the tiny world language model read at one site, and the same model with an SAE spliced in.

The site is the residual stream after block ``LAYER`` (an SAE reads and replaces it), or that block's MLP (a
transcoder maps the MLP's input, after ``ln_2``, to its output and replaces the output). Only non-BOS tokens are read
and spliced: BOS is the same in every document, so it would teach the SAE nothing and its (large) activation would
dominate the squared error; ablation leaves it alone too, so both sides of CE loss recovered change the same tokens.

Train, validation and test documents come from disjoint corpus seeds. Activations are cached under the lab's cache
dir, keyed by the model's weights and these settings, and written atomically so parallel sweep workers never read
half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import torch
from safetensors.torch import load_file, save_file

from interpctf.editing.hooks import site_module
from interpctf.lab.tasks.base import EvalSplit, TaskData
from interpctf.lab.tasks.lm_corpus import Documents, annotate

if TYPE_CHECKING:
    from interpctf.nets.tiny_gpt_reference import WorldModel

LAYER = 1  # of 4 blocks: the middle of the model, where a fact's subject and relation are both in flight
N_DOCS = {"train": 5000, "val": 1000, "test": 1000}
CORPUS_SEEDS = {"train": 1001, "val": 1002, "test": 1003}
BATCH_DOCS = 250
_FORMAT = 1

Replacement = Callable[[torch.Tensor], torch.Tensor]  # (n, d_in) site input -> (n, d_out) new site output


class _SiteRead(Exception):
    """Stops a forward pass once the site has been recorded."""


def _model_digest(path: Path) -> str:
    return hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()[:16]


def _first(output) -> torch.Tensor:
    return output[0] if isinstance(output, tuple) else output


class LMData(TaskData):
    def __init__(self, cache_dir: Path, transcoder: bool, world_model: WorldModel | None = None):
        if world_model is None:
            # Imported here: loading the model machinery costs seconds that the other lab tasks should not pay.
            from interpctf.nets.tiny_gpt_reference import reference_world_model

            world_model = reference_world_model()
        self.model, self.transcoder = world_model.model, transcoder
        self.d_in = self.d_out = self.model.config.n_embd
        world = world_model.world
        # Shortest documents first, so that each batch is cut to little padding (which would be half the compute).
        self.docs = {name: annotate(world, world_model.tokenizer,
                                    sorted(world.corpus(n, seed=CORPUS_SEEDS[name]), key=lambda d: d.count(" ")))
                     for name, n in N_DOCS.items()}
        self._acts = self._load_or_compute(Path(cache_dir), world_model.path)
        self._reference: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    # ---- hooks ----------------------------------------------------------------------------------------------------
    @contextmanager
    def _hook(self, fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor | None]) -> Iterator[None]:
        """While active, ``fn(site_input, site_output)`` sees the site on every forward pass; a tensor it returns
        becomes the site's output."""
        module = site_module(self.model, "mlp" if self.transcoder else "hidden", LAYER)

        def hook(mod, args, output):
            out = _first(output)
            new = fn(args[0] if self.transcoder else out, out)
            if new is None:
                return None
            return (new,) + tuple(output[1:]) if isinstance(output, tuple) else new

        handle = module.register_forward_hook(hook)
        try:
            yield
        finally:
            handle.remove()

    def _batches(self, docs: Documents) -> Iterator[tuple[dict[str, torch.Tensor], torch.Tensor]]:
        """Model inputs and the non-BOS token mask of each batch of documents, cut to the batch's longest one."""
        for start in range(0, docs.ids.shape[0], BATCH_DOCS):
            sl = slice(start, start + BATCH_DOCS)
            width = int(docs.lengths[sl].max())
            ids = docs.ids[sl, :width]
            attention = (torch.arange(width) < docs.lengths[sl, None]).long()
            yield {"input_ids": ids, "attention_mask": attention}, docs.token_mask[sl, :width]

    # ---- activations ----------------------------------------------------------------------------------------------
    @torch.no_grad()
    def _activations(self, docs: Documents) -> tuple[torch.Tensor, torch.Tensor]:
        xs, ys = [], []
        for inputs, mask in self._batches(docs):
            def record(src, site_out, mask=mask):
                xs.append(src[mask])
                ys.append(site_out[mask])
                raise _SiteRead  # the later blocks and the head would cost as much again, for nothing

            with self._hook(record), suppress(_SiteRead):
                self.model(**inputs)
        return torch.cat(xs), torch.cat(ys)

    def _load_or_compute(self, cache_dir: Path, model_path: Path) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        settings = {"format": _FORMAT, "model": _model_digest(model_path), "layer": LAYER, "docs": N_DOCS,
                    "seeds": CORPUS_SEEDS, "transcoder": self.transcoder}
        key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
        path = cache_dir / f"lm_acts_{key}.safetensors"
        if path.exists():
            t = load_file(path)
            return {n: (t[f"{n}_x"], t[f"{n}_y"] if self.transcoder else t[f"{n}_x"]) for n in N_DOCS}
        acts = {n: self._activations(d) for n, d in self.docs.items()}
        tensors = {f"{n}_x": x.contiguous() for n, (x, _) in acts.items()}
        if self.transcoder:
            tensors |= {f"{n}_y": y.contiguous() for n, (_, y) in acts.items()}
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        save_file(tensors, str(tmp))
        tmp.replace(path)
        return acts

    def sample(self, batch_size, rng):
        x, y = self._acts["train"]
        idx = torch.from_numpy(rng.integers(0, x.shape[0], batch_size))
        return x[idx], y[idx]

    def split(self, name):
        x, y = self._acts[name]
        docs = self.docs[name]
        return EvalSplit(x, y, {"relation": docs.relation, "entity": docs.entity, "token": docs.targets.numpy()})

    # ---- the model with the site replaced -------------------------------------------------------------------------
    @torch.no_grad()
    def logits_with(self, name: str, replacement: Replacement | None) -> torch.Tensor:
        """Next-token logits (n_tokens, vocab) at every position that predicts a non-BOS token, in the order of
        ``split(name)``'s tokens: clean, or with the site's output at non-BOS tokens set to ``replacement(input)``."""
        out = []
        for inputs, mask in self._batches(self.docs[name]):
            predicts = torch.zeros_like(mask)
            predicts[:, :-1] = mask[:, 1:]  # position p predicts token p + 1

            def splice(src, site_out, mask=mask):
                new = site_out.clone()
                new[mask] = replacement(src[mask]).to(new.dtype)
                return new

            with self._hook(splice) if replacement is not None else nullcontext():
                out.append(self.model(**inputs).logits[predicts])
        return torch.cat(out)

    def reference_logits(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Clean and zero-ablated logits of a split, computed once: they do not depend on the SAE."""
        if name not in self._reference:
            self._reference[name] = (self.logits_with(name, None), self.logits_with(name, torch.zeros_like))
        return self._reference[name]
