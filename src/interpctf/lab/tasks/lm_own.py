"""``sae-lm`` on your own language model: any Hugging Face causal LM the site names map onto (``lm_sites``), read at
one site over a text corpus, in bounded memory.

The corpus is a stream of lines (a text file, or a ``datasets`` text column when online); line ``i`` belongs to
test when ``i % 20 == 0``, to validation when ``i % 20 == 1``, else to training. Validation and test hold the first
``eval_tokens`` tokens of their lines. Training activations stream: a buffer of ``buffer_tokens`` activations is
filled from the next training lines (cycling through the corpus) and refilled once as many samples have been drawn
as it holds, so memory is bounded by the buffer whatever the corpus size. Position 0 of every line is left out (it
sees only itself; its activation is often huge and would dominate the squared error), as are padding tokens.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Callable, Iterator

import torch

from interpctf.errors import InterpctfError
from interpctf.lab.tasks.base import EvalSplit, TaskData
from interpctf.lab.tasks.lm_sites import resolve_site

MAX_LINE_CHARS = 20_000
SPLIT_EVERY = 20
_SPLIT_OF = {0: "test", 1: "val"}


class _SiteRead(Exception):
    """Stops a forward pass once the site has been recorded."""


def split_lines(lines: Iterator[str], split: str) -> Iterator[str]:
    for i, line in enumerate(lines):
        line = line.strip()[:MAX_LINE_CHARS]
        if line and _SPLIT_OF.get(i % SPLIT_EVERY, "train") == split:
            yield line


class OwnLMData(TaskData):
    def __init__(self, model, tokenizer, hook_name: str, lines: Callable[[], Iterator[str]], *, context: int = 128,
                 eval_tokens: int = 8192, buffer_tokens: int = 1 << 16, batch_lines: int = 32):
        self.model, self.tokenizer = model.eval(), tokenizer
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.site = resolve_site(model, hook_name)
        self.lines, self.context, self.batch_lines = lines, context, batch_lines
        self.buffer_tokens = buffer_tokens
        self.eval = {name: self._eval_split(name, eval_tokens) for name in ("val", "test")}
        self.d_in = self.d_out = int(self.eval["val"][0].shape[1])
        self._train = self._cycle()
        self._buffer: torch.Tensor | None = None
        self._drawn = 0
        self._reference: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    # ---- corpus and batches ---------------------------------------------------------------------------------------
    def _cycle(self) -> Iterator[str]:
        while True:
            empty = True
            for line in split_lines(self.lines(), "train"):
                empty = False
                yield line
            if empty:
                raise InterpctfError("--corpus: no training lines (every 20 lines, 2 go to validation and test)")

    def _encode(self, lines: list[str]):
        enc = self.tokenizer(lines, truncation=True, max_length=self.context, padding=True, return_tensors="pt")
        attention = enc["attention_mask"].bool()
        mask = attention.clone()
        mask[:, 0] = False
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}, mask

    @torch.no_grad()
    def _read(self, inputs, mask) -> torch.Tensor:
        out: list[torch.Tensor] = []

        def record(act):
            out.append(act[mask].float())
            raise _SiteRead  # the later blocks and the head would cost as much again, for nothing

        with self.site.hook(record), suppress(_SiteRead):
            self.model(**inputs)
        return out[0]

    def _eval_split(self, name: str, budget: int):
        batches, xs, n = [], [], 0
        pending: list[str] = []
        for line in split_lines(self.lines(), name):
            pending.append(line)
            if len(pending) == self.batch_lines:
                n += self._add(pending, batches, xs)
                pending = []
                if n >= budget:
                    break
        if pending and n < budget:
            n += self._add(pending, batches, xs)
        if not xs:
            raise InterpctfError(f"--corpus: no {name} lines (line i is {name} when i % 20 == "
                                 f"{1 if name == 'val' else 0}); give a corpus of at least 20 lines")
        return torch.cat(xs), batches

    def _add(self, lines, batches, xs) -> int:
        inputs, mask = self._encode(lines)
        batches.append((inputs, mask))
        xs.append(self._read(inputs, mask))
        return int(mask.sum())

    # ---- TaskData -------------------------------------------------------------------------------------------------
    def _refill(self) -> None:
        acts, n = [], 0
        while n < self.buffer_tokens:
            lines = [next(self._train) for _ in range(self.batch_lines)]
            inputs, mask = self._encode(lines)
            acts.append(self._read(inputs, mask))
            n += acts[-1].shape[0]
        self._buffer, self._drawn = torch.cat(acts)[: self.buffer_tokens], 0

    def sample(self, batch_size, rng):
        if self._buffer is None or self._drawn >= self._buffer.shape[0]:
            self._refill()
        assert self._buffer is not None
        idx = torch.from_numpy(rng.integers(0, self._buffer.shape[0], batch_size))
        self._drawn += batch_size
        x = self._buffer[idx]
        return x, x

    def split(self, name):
        x, batches = self.eval[name]
        tokens = torch.cat([inputs["input_ids"][:, 1:][pred[:, :-1]] for inputs, pred in self._predicting(batches)])
        return EvalSplit(x, x, {"token": tokens.numpy()})

    # ---- the model with the site replaced -------------------------------------------------------------------------
    @staticmethod
    def _predicting(batches):
        """Per batch: a mask of the positions whose next token is a read (non-pad, non-first) token."""
        for inputs, mask in batches:
            pred = torch.zeros_like(mask)
            pred[:, :-1] = mask[:, 1:]
            yield inputs, pred

    @torch.no_grad()
    def logits_with(self, name: str, replacement) -> torch.Tensor:
        """Next-token logits at every position that predicts a read token, in the order of ``split(name)``'s
        tokens: clean, or with the site set to ``replacement(activation)`` at the read tokens."""
        out = []
        for (inputs, pred), (_, mask) in zip(self._predicting(self.eval[name][1]), self.eval[name][1]):
            def splice(act, mask=mask):
                new = act.clone()
                new[mask] = replacement(act[mask].float()).to(new.dtype)
                return new

            if replacement is None:
                out.append(self.model(**inputs).logits[pred].float())
            else:
                with self.site.hook(splice):
                    out.append(self.model(**inputs).logits[pred].float())
        return torch.cat(out)

    def reference_logits(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        if name not in self._reference:
            self._reference[name] = (self.logits_with(name, None), self.logits_with(name, torch.zeros_like))
        return self._reference[name]
